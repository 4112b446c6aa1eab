"""LogSentry's pre-training pieces: InfoNCE, cross-attention matching, cutoff augmentation and pair generation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from logad.detectors.logsentry.augment import cutoff, cutoff_views
from logad.detectors.logsentry.losses import TextMatchingHead, cross_attend, info_nce, ttm_loss
from logad.detectors.logsentry.pairs import make_pairs


def test_info_nce_is_low_for_matching_views_and_high_for_shuffled_ones():
    torch.manual_seed(0)
    anchors = torch.randn(8, 16)
    aligned = info_nce(anchors, anchors + 0.01 * torch.randn(8, 16), temperature=0.1)
    shuffled = info_nce(anchors, anchors[torch.randperm(8)], temperature=0.1)
    assert aligned < 0.05
    assert shuffled > 1.0
    # Uniform logits give log(batch): the loss is a cross-entropy over the batch.
    assert info_nce(torch.ones(4, 3), torch.ones(4, 3), 1.0).item() == pytest.approx(np.log(4), rel=1e-5)


def test_info_nce_gradient_pulls_views_together():
    torch.manual_seed(0)
    anchors, positives = torch.randn(6, 8), torch.randn(6, 8, requires_grad=True)
    optimizer = torch.optim.SGD([positives], lr=0.5)
    before = info_nce(anchors, positives, 0.2).item()
    for _ in range(50):
        optimizer.zero_grad()
        info_nce(anchors, positives, 0.2).backward()
        optimizer.step()
    assert info_nce(anchors, positives, 0.2).item() < before / 4
    similarity = torch.nn.functional.normalize(anchors, dim=1) @ torch.nn.functional.normalize(positives, dim=1).T
    assert torch.equal(similarity.argmax(1), torch.arange(6))  # each view is now nearest to its own anchor


def test_cross_attention_ignores_padding_of_v():
    torch.manual_seed(0)
    u, v = torch.randn(1, 3, 4), torch.randn(1, 5, 4)
    mask = torch.tensor([[1, 1, 1, 0, 0]])
    attended = cross_attend(u, v, mask)
    changed = v.clone()
    changed[:, 3:] = 100.0
    assert torch.allclose(attended, cross_attend(u, changed, mask))
    assert attended.shape == (1, 3, 4)


def test_text_matching_head_learns_same_vs_different():
    torch.manual_seed(0)
    head = TextMatchingHead(hidden=8, dropout=0.0)
    optimizer = torch.optim.Adam(head.parameters(), lr=0.05)
    normal, abnormal = torch.randn(8), torch.randn(8)
    u = torch.stack([normal, normal, abnormal, abnormal])
    v = torch.stack([normal, abnormal, abnormal, normal])
    labels = torch.tensor([0, 1, 0, 1])
    states_u, states_v, mask = u[:, None, :].repeat(1, 2, 1), v[:, None, :].repeat(1, 2, 1), torch.ones(4, 2)
    first = ttm_loss(head(states_u, mask, states_v, mask, u, v), labels).item()
    for _ in range(100):
        optimizer.zero_grad()
        loss = ttm_loss(head(states_u, mask, states_v, mask, u, v), labels)
        loss.backward()
        optimizer.step()
    assert first > 0.5
    assert loss.item() < 0.05


@pytest.mark.parametrize("kind", ["token", "feature", "span"])
def test_cutoff_zeroes_the_requested_share_of_real_tokens_only(kind):
    embeddings = torch.ones(2, 10, 20)
    mask = torch.tensor([[1] * 10, [1] * 6 + [0] * 4])
    out = cutoff(embeddings, mask, kind, 0.2, torch.Generator().manual_seed(0))
    zero_rows = (out == 0).all(-1)
    zero_cells = (out == 0).sum().item()
    if kind == "feature":
        assert zero_cells == 10 * 4 + 6 * 4  # 4 of 20 dimensions on each real token
        assert (out[1, 6:] == 1).all()
    else:
        assert zero_rows[0].sum() == 2 and zero_rows[1].sum() == 1
        assert not zero_rows[1, 6:].any()
    if kind == "span":
        assert torch.equal(torch.nonzero(zero_rows[0]).squeeze(1).diff(), torch.tensor([1]))


def test_cutoff_views_hook_changes_output_only_inside_the_block():
    embedding = torch.nn.Embedding(10, 6)
    model = torch.nn.Sequential(embedding)
    model.get_input_embeddings = lambda: embedding
    ids, mask = torch.tensor([[1, 2, 3, 4]]), torch.ones(1, 4)
    plain = model(ids)
    with cutoff_views(model, mask, ("token",), 0.5, torch.Generator().manual_seed(0)):
        cut = model(ids)
    assert (cut == 0).all(-1).sum() == 2
    assert torch.equal(model(ids), plain)


def test_pairs_balance_similar_and_dissimilar_and_label_them():
    labels = np.array([0] * 90 + [1] * 10)
    anchors, partners, pair_labels = make_pairs(labels, 100, np.random.default_rng(0))
    assert len(set(anchors.tolist())) == 100  # without replacement when there is enough data
    assert np.array_equal(pair_labels, (labels[anchors] != labels[partners]).astype(int))
    assert 0.35 < pair_labels.mean() < 0.65
    assert not np.any(anchors == partners)


def test_pairs_with_one_class_are_all_similar_and_empty_input_gives_nothing():
    anchors, _, pair_labels = make_pairs(np.zeros(5, dtype=int), 8, np.random.default_rng(1))
    assert len(anchors) == 8 and not pair_labels.any()
    assert all(len(part) == 0 for part in make_pairs(np.zeros(0), 4, np.random.default_rng(1)))
