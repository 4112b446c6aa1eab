"""Log formats: every registered header parses real lines the way Loghub does, with timestamps and labels."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from logad.data.formats import FORMATS, SESSIONS_JSONL, LogFormat, TimestampRule, compile_header, get_format
from logad.data.readers import ReadReport, read_records
from logad.data.windows import WindowSpec
from logad.errors import ConfigError


def utc(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=dt.UTC).timestamp()


# name -> (a real line, some expected fields, expected timestamp, expected per-line label).
# Lines are the first of each Loghub-2k file, or of the Loghub release (Windows, Android); Liberty's is
# written in the CFDR layout Liberty shares with Thunderbird.
SAMPLES = {
    "hdfs": (
        "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 "
        "terminating",
        {"Pid": "148", "Component": "dfs.DataNode$PacketResponder"},
        utc(2008, 11, 9, 20, 36, 15),
        None,
    ),
    "bgl": (
        "APPREAD 1117869872 2005.06.04 R04-M1-N4-I:J18-U11 2005-06-04-00.24.32.432192 R04-M1-N4-I:J18-U11 RAS "
        "APP FATAL ciod: failed to read message prefix on control stream",
        {"Node": "R04-M1-N4-I:J18-U11", "Level": "FATAL", "Content": "ciod: failed to read message prefix on "},
        1117869872.0,
        1,
    ),
    "thunderbird": (
        "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root",
        {"Component": "crond(pam_unix)", "PID": "2915", "Content": "session closed for user root"},
        1131566461.0,
        0,
    ),
    "liberty": (
        "PBS_CHK 1103075402 2004.12.14 ln149 Dec 14 17:50:02 ln149/ln149 pbs_mom: task_check, cannot tm_reply",
        {"Component": "pbs_mom", "PID": "", "Content": "task_check, cannot tm_reply"},
        1103075402.0,
        1,
    ),
    "hadoop": (
        "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster",
        {"Process": "main", "Component": "org.apache.hadoop.mapreduce.v2.app.MRAppMaster"},
        utc(2015, 10, 18, 18, 1, 47, 978000),
        None,
    ),
    "spark": (
        "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]",
        {"Level": "INFO", "Content": "Registered signal handlers for [TERM, HUP, INT]"},
        utc(2017, 6, 9, 20, 10, 40),
        None,
    ),
    "zookeeper": (
        "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - "
        "Notification time out: 3200",
        {"Node": "QuorumPeer[myid=1]/0", "Component": "0:0:0:0:0:0:0:2181:FastLeaderElection", "Id": "774"},
        utc(2015, 7, 29, 17, 41, 44, 747000),
        None,
    ),
    "hpc": (
        "134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component "
        "\\042SCSI-WWID:01000010\\042 is in the unavailable state (HWID=1973)",
        {"LogId": "134681", "Node": "node-246", "State": "state_change.unavailable", "Flag": "1"},
        1077804742.0,
        None,
    ),
    "windows": (
        "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core",
        {"Level": "Info", "Component": "CBS", "Content": "Loaded Servicing Stack v6.1.7601.23505 with Core"},
        utc(2016, 9, 28, 4, 30, 30),
        None,
    ),
    "linux": (
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ",
        {"Level": "combo", "Component": "sshd(pam_unix)", "PID": "19939"},
        utc(2000, 6, 14, 15, 16, 1),
        None,
    ),
    "android": (
        "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken",
        {"Pid": "1702", "Tid": "2395", "Level": "D", "Component": "WindowManager"},
        utc(2000, 3, 17, 16, 13, 38, 811000),
        None,
    ),
    "healthapp": (
        "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
        {"Component": "Step_LSC", "Pid": "30002312", "Content": "onStandStepChanged 3579"},
        utc(2017, 12, 23, 22, 15, 29, 606000),
        None,
    ),
    "apache": (
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
        {"Level": "notice", "Content": "workerEnv.init() ok /etc/httpd/conf/workers2.properties"},
        utc(2005, 12, 4, 4, 47, 44),
        None,
    ),
    "proxifier": (
        "[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS",
        {
            "Program": "chrome.exe",
            "Content": "proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS",
        },
        utc(2000, 10, 30, 16, 49, 6),
        None,
    ),
    "openssh": (
        "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com failed",
        {"Component": "LabSZ", "Pid": "24200"},
        utc(2000, 12, 10, 6, 55, 46),
        None,
    ),
    "openstack": (
        "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server "
        '[req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 - - -] 10.11.10.1 "GET /v2" '
        "status: 200",
        {"Pid": "25746", "ADDR": "req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 - - -"},
        utc(2017, 5, 16, 0, 0, 0, 8000),
        None,
    ),
    "mac": (
        "Jul  1 09:29:02 calvisitor-10-105-160-95 sandboxd[129] ([31211]): com.apple.Addres(31211) deny network",
        {"User": "calvisitor-10-105-160-95", "Component": "sandboxd", "PID": "129", "Address": "[31211]"},
        utc(2000, 7, 1, 9, 29, 2),
        None,
    ),
}
LINE_FORMATS = sorted(name for name, fmt in FORMATS.items() if not fmt.is_sessions)


def test_every_line_format_has_a_sample():
    assert sorted(SAMPLES) == LINE_FORMATS


@pytest.mark.parametrize("name", LINE_FORMATS)
def test_registered_format_parses_a_real_line(name):
    line, expected, timestamp, label = SAMPLES[name]
    fmt = get_format(name)
    fields = fmt.parse_line(line)
    assert fields is not None, name
    for key, value in expected.items():
        if key == "Content":
            assert fields[key].startswith(value), (name, key)
        else:
            assert fields[key] == value, (name, key)
    assert fmt.timestamp is not None and fmt.timestamp(fields) == pytest.approx(timestamp, abs=1e-6)
    assert (fmt.label_field is not None) == (label is not None)


@pytest.mark.parametrize("name", LINE_FORMATS)
def test_default_window_is_a_valid_spec(name):
    WindowSpec.parse(get_format(name).default_window)


def test_hdfs_default_window_groups_by_block():
    assert get_format("hdfs").default_window == r"session:blk_-?\d+"


def test_regex_is_built_as_loghub_builds_it():
    pattern = compile_header(r"<Date> <Time>,  <Level> \[<Pid>\] <Content>").pattern
    assert pattern == r"^(?P<Date>.*?)\s+(?P<Time>.*?),\s+(?P<Level>.*?)\s+\[(?P<Pid>.*?)\]\s+(?P<Content>.*)$"
    middle = get_format(r"<Content> \[<Thread>\]")  # a field that does not end the header stays lazy
    assert middle.parse_line("a [b] c [main]") == {"Content": "a", "Thread": "b] c [main"}


def test_lines_are_stripped_and_absent_optional_fields_are_empty():
    fields = get_format("linux").parse_line("  Jun 15 04:06:20 combo logrotate: ALERT exited abnormally \t")
    assert fields is not None
    assert fields["Component"] == "logrotate" and fields["PID"] == ""
    assert fields["Content"] == "ALERT exited abnormally"


def test_non_matching_line_gives_none():
    assert get_format("hdfs").parse_line("not an hdfs line") is None


def test_unparsable_timestamp_gives_none_not_an_error():
    fmt = get_format("hdfs")
    fields = fmt.parse_line("081340 203615 148 INFO dfs.DataNode: month 13")
    assert fields is not None and fmt.timestamp(fields) is None
    bgl = get_format("bgl")
    assert bgl.timestamp(bgl.parse_line("- notepoch 2005.06.03 n 2005-06-03 n RAS KERNEL INFO x")) is None


def test_names_are_case_insensitive():
    assert get_format(" HDFS ") is FORMATS["hdfs"]


def test_custom_header_with_and_without_timestamp():
    fmt = get_format(r"<Date> <Time> <Level> \[<Thread>\] <Content>")
    fields = fmt.parse_line("2024-03-01 12:00:05,250 WARN [main] disk almost full")
    assert fmt.name == "custom" and fields is not None
    assert fields["Thread"] == "main" and fields["Content"] == "disk almost full"
    assert fmt.timestamp(fields) == utc(2024, 3, 1, 12, 0, 5, 250000)
    assert fmt.timestamp(fmt.parse_line("yesterday noon WARN [main] x")) is None
    iso = get_format("<Time> <Content>")
    assert iso.timestamp(iso.parse_line("2024-03-01T12:00:05+02:00 up")) == utc(2024, 3, 1, 10, 0, 5)
    untimed = get_format("<Level>: <Content>")
    assert untimed.timestamp is None and untimed.parse_line("INFO: ok") == {"Level": "INFO", "Content": "ok"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hdfz", "unknown log format 'hdfz'; known: hdfs, bgl"),
        ("<Date> <Time>", "no <Content> field"),
        ("<Date> <my field> <Content>", "field <my field> must be a plain name"),
        ("<Date> ( <Content>", "is not a valid pattern"),
        ("<Date> <Date> <Content>", "is not a valid pattern"),
    ],
)
def test_bad_format_names_and_headers(text, message):
    with pytest.raises(ConfigError, match=message):
        get_format(text)


def test_unknown_format_lists_every_known_name():
    with pytest.raises(ConfigError) as info:
        get_format("nope")
    assert all(name in str(info.value) for name in FORMATS)


def test_sessions_jsonl_is_a_format_without_lines():
    fmt = get_format(SESSIONS_JSONL)
    assert fmt.is_sessions and fmt.regex is None and fmt.default_window is None
    with pytest.raises(ConfigError, match="holds sessions"):
        fmt.parse_line("{}")


@pytest.mark.parametrize(
    ("pattern", "text", "year"),
    [
        ("%y%m%d %H%M%S", "691231 235959", None),  # two-digit years: 69-99 -> 1900s
        ("%y%m%d %H%M%S", "680101 000000", None),  # ... and 00-68 -> 2000s
        ("%b %d %H:%M:%S", "Feb 29 01:02:03", 2000),
        ("%b %d %H:%M:%S", "feb  9 01:02:03", 2000),
        ("%Y-%m-%d %H:%M:%S.%f", "2017-05-16 00:00:00.5", None),
        ("%m.%d %H:%M:%S", "10.30 16:49:06", 2000),
    ],
)
def test_fast_timestamps_equal_strptime(pattern, text, year):
    prefix, full = ("", text) if year is None else ("%Y ", f"{year} {text}")
    expected = dt.datetime.strptime(full, prefix + pattern).replace(tzinfo=dt.UTC).timestamp()
    rule = TimestampRule(("T",), (pattern,), year)
    assert rule({"T": text}) == expected


@pytest.mark.parametrize("text", ["Feb 30 01:02:03", "Foo 1 01:02:03", "Feb 1 25:00:00", "", "Feb 1"])
def test_invalid_dates_give_none(text):
    assert TimestampRule(("T",), ("%b %d %H:%M:%S",), 2001)({"T": text}) is None


def test_timestamp_rule_missing_field_and_bad_rule():
    assert TimestampRule(("Date", "Time"), ("%y%m%d %H%M%S",))({"Date": "081109"}) is None
    with pytest.raises(ConfigError, match="one epoch field"):
        TimestampRule(("Date", "Time"))


def test_format_objects_are_values():
    assert LogFormat("x", "<Content>") == LogFormat("x", "<Content>")


def test_every_loghub_2k_file_parses_like_loghub(shared_data):
    """All 14 systems: every line parses, has a timestamp, and its Content is Loghub's."""
    for folder in sorted(p for p in (shared_data / "loghub_2k").iterdir() if p.is_dir()):
        log = folder / f"{folder.name}_2k.log"
        report = ReadReport(log)
        records = list(read_records(log, get_format(folder.name), report))
        assert len(records) == 2000 and report.malformed == 0 and report.empty_lines == 0, folder.name
        assert all(record.timestamp is not None for record in records), folder.name
        with (folder / f"{folder.name}_2k.log_structured_corrected.csv").open(newline="") as handle:
            truth = [row["Content"] for row in csv.DictReader(handle)]
        assert [record.content for record in records] == truth, folder.name
