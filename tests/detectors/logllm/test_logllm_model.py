"""LogLLM's parts on tiny config-built models: prompt assembly and label masking, answer scoring, stage freezing
(4-bit and plain LoRA), oversampling counts and the message-vector cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from logad.detectors.logllm.model import build_model
from logad.detectors.logllm.prompt import IGNORE_INDEX, PromptTemplate
from logad.detectors.logllm.sampling import oversample_minority
from logad.detectors.logllm.stages import TRAINED_PARTS, end_stage, set_stage

WINDOWS = [["open file f1", "read 4096 bytes"], ["write failed on f2"], ["open file f1", "close file f1", "x"]]


@pytest.fixture(scope="module", params=["none", "nf4"])
def model(request, tiny_llama_dir, tiny_bert64_dir):
    from logad.detectors.logllm.config import LogLLMConfig

    torch.set_num_threads(1)
    config = LogLLMConfig(llm=str(tiny_llama_dir), encoder=str(tiny_bert64_dir), quantization=request.param)
    return build_model(config)


def test_prompt_puts_vectors_between_instructions_and_masks_everything_but_the_answer(model):
    template, embed = model.template, model.llm.get_input_embeddings()
    vectors = [torch.randn(len(window), embed.weight.shape[1], device=embed.weight.device) for window in WINDOWS]
    labels = [0, 1, 0]
    batch = template.assemble(embed, vectors, labels)
    prefix, question = len(template.prefix_ids), len(template.question_ids)
    for row, (window, label) in enumerate(zip(WINDOWS, labels, strict=True)):
        start, end = prefix, prefix + len(window)
        assert torch.equal(batch.inputs_embeds[row, start:end], vectors[row].to(embed.weight.dtype))
        answer = template.answer_ids[label]
        length = end + question + len(answer)
        assert batch.attention_mask[row].sum() == length and batch.last_positions[row] == length - 1
        assert (batch.labels[row, : end + question] == IGNORE_INDEX).all()
        assert batch.labels[row, end + question : length].tolist() == answer  # answer + EOS only
        assert (batch.labels[row, length:] == IGNORE_INDEX).all()
        expected = embed(torch.as_tensor(template.question_ids, device=embed.weight.device))
        assert torch.allclose(batch.inputs_embeds[row, end : end + question], expected)


def test_answers_share_a_prefix_and_differ_in_one_decision_token(tiny_llama_dir):
    from transformers import AutoTokenizer

    template = PromptTemplate(AutoTokenizer.from_pretrained(tiny_llama_dir))
    normal, anomalous = template.answer_ids
    shared = len(template.shared_answer_ids)
    assert normal[:shared] == anomalous[:shared] and template.decision_ids == (normal[shared], anomalous[shared])
    assert template.decision_ids[0] != template.decision_ids[1]


def test_loss_and_scores_match_the_full_vocabulary_forward_pass(model):
    model.eval()
    labels = [0, 1, 0]
    with torch.no_grad():
        loss = model.loss(WINDOWS, labels)
        batch = model.template.assemble(model.llm.get_input_embeddings(), model.window_vectors(WINDOWS), labels)
        reference = model.llm(
            inputs_embeds=batch.inputs_embeds, attention_mask=batch.attention_mask, labels=batch.labels
        ).loss
        assert torch.allclose(loss, reference, atol=1e-4)
        prompt = model.template.assemble(model.llm.get_input_embeddings(), model.window_vectors(WINDOWS))
        logits = model.llm(inputs_embeds=prompt.inputs_embeds, attention_mask=prompt.attention_mask).logits
    last = logits[torch.arange(3), prompt.last_positions][:, list(model.template.decision_ids)]
    expected = torch.softmax(last.float(), -1)[:, 1].cpu().numpy()
    scores = model.anomaly_probability(WINDOWS)
    assert scores.shape == (3,) and ((scores > 0) & (scores < 1)).all()
    np.testing.assert_allclose(scores, expected, atol=1e-3 if last.dtype == torch.float32 else 2e-2)


@pytest.mark.parametrize("stage", list(TRAINED_PARTS))
def test_each_stage_gives_gradients_to_exactly_its_parts(model, stage):
    set_stage(model, stage)
    model.zero_grad(set_to_none=True)
    model.loss(WINDOWS, [0, 1, 0]).backward()
    touched = {
        part
        for part, module in (("llm", model.llm), ("encoder", model.encoder), ("projector", model.projector))
        if any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())
    }
    assert touched == set(TRAINED_PARTS[stage])
    for part, module in (("llm", model.llm), ("encoder", model.encoder)):
        for name, param in module.named_parameters():
            assert (param.grad is not None) == (part in TRAINED_PARTS[stage] and "lora_" in name), name
    model.zero_grad(set_to_none=True)
    end_stage(model)


def test_oversampling_lifts_the_minority_to_the_ratio():
    rng = np.random.default_rng(0)
    labels = np.array([0] * 90 + [1] * 10)
    indices = oversample_minority(labels, 0.3, rng)
    minority = int((labels[indices] == 1).sum())
    assert len(indices) == 90 + minority and minority == 39  # ceil(0.3 * 90 / 0.7)
    assert set(indices[:100]) == set(range(100)) and (labels[indices[100:]] == 1).all()
    assert len(oversample_minority(np.array([0, 1, 0, 1]), 0.3, rng)) == 4
    assert len(oversample_minority(np.zeros(5, dtype=int), 0.3, rng)) == 5


def test_message_vectors_are_computed_once_per_distinct_message(model):
    end_stage(model)
    before = model.embedder.encoded
    first = model.anomaly_probability(WINDOWS * 3)
    distinct = len({message for window in WINDOWS for message in window})
    assert model.embedder.encoded - before == distinct
    second = model.anomaly_probability(WINDOWS)
    assert model.embedder.encoded - before == distinct  # all cached
    np.testing.assert_allclose(second, first[:3], atol=1e-5)
