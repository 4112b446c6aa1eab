"""Session label files and the check that they match the sessions of a log."""

from __future__ import annotations

from pathlib import Path

import pytest

from logad.data.labels import check_label_coverage, load_session_labels
from logad.errors import BadInputError


def labels_file(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "labels.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    "text",
    [
        "BlockId,Label\nblk_1,Normal\nblk_-2,Anomaly\n",
        "id,label\nblk_1,0\nblk_-2,1\n",
        "BLOCKID,LABEL\r\nblk_1,normal\r\n\r\nblk_-2,ANOMALY\r\n",
        "\ufeffSession_Id,extra,Label\n blk_1 ,x, 0 \nblk_-2,y,1\nblk_1,z,Normal\n",
        "label,session\n0,blk_1\n1,blk_-2\n",
    ],
    ids=["loghub", "zero-one", "case-crlf-blank", "bom-extra-column-repeat", "label-first"],
)
def test_label_layouts(tmp_path, text):
    assert load_session_labels(labels_file(tmp_path, text)) == {"blk_1": 0, "blk_-2": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("id,label\n", "has no rows, only a header"),
        ("foo,bar\n1,2\n", r"needs a header with an id column \(blockid, .*\) and a Label column; line 1 is 'foo,bar'"),
        ("id\nblk_1\n", "needs a header"),
        ("id,label\nblk_1,Normal\nblk_2,maybe\n", "line 3: label 'maybe' is not Normal/Anomaly or 0/1"),
        ("id,label\nblk_1,Normal\nblk_2\n", "line 3: expected an id and a label"),
        ("id,label\n,1\n", "line 2: empty session id"),
        ("id,label\nblk_1,0\nblk_1,Anomaly\n", "line 3: session 'blk_1' is labelled both normal and anomalous"),
        ('id,label\n"blk_1,0\n', "line 2 is not valid CSV: unexpected end of data"),
        ('id,label\n"a"b,0\n', "is not valid CSV"),
    ],
)
def test_bad_label_files(tmp_path, text, message):
    path = labels_file(tmp_path, text)
    with pytest.raises(BadInputError, match=message) as info:
        load_session_labels(path)
    assert str(path) in str(info.value)


def test_unreadable_label_files(tmp_path):
    with pytest.raises(BadInputError, match=r"cannot read label file .*nope.csv: No such file"):
        load_session_labels(tmp_path / "nope.csv")
    with pytest.raises(BadInputError, match="cannot read label file"):
        load_session_labels(tmp_path)
    with pytest.raises(BadInputError, match="is not UTF-8 text"):
        load_session_labels(labels_file(tmp_path, "id,label\nbl\xe9,0\n", encoding="latin-1"))


def test_coverage_counts_sessions_without_labels(tmp_path):
    assert check_label_coverage({"a": 0, "b": 1}.keys(), ["a", "b", "c", "d"], tmp_path / "l.csv") == 2
    assert check_label_coverage(["a"], ["a"], None) == 0
    assert check_label_coverage(["a"], [], None) == 0


def test_coverage_fails_when_no_session_has_a_label(tmp_path):
    labels, logs = tmp_path / "labels.csv", tmp_path / "app.log"
    with pytest.raises(BadInputError) as info:
        check_label_coverage(["blk_1", "blk_2"], ["lines-1-20", "lines-21-40"], labels, logs)
    assert str(info.value) == (
        f"label file {labels} matches none of the 2 sessions in {logs}; example session id 'lines-1-20', "
        "example label id 'blk_1' (wrong label file or window spec?)"
    )


def test_hdfs_2pct_labels(shared_data):
    labels = load_session_labels(shared_data / "hdfs_2pct" / "anomaly_label.csv")
    assert len(labels) == 11_501 and sum(labels.values()) == 350
