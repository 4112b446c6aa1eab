"""LogLLM's prompt: instruction tokens around one projected vector per message, then the answer.

"Below is a sequence of system log messages:" <message vectors> ". Is this sequence normal or anomalous?\\n"
then "The sequence is normal." / "The sequence is anomalous." + EOS. Training puts the loss on the answer
tokens only; scoring feeds the answers' shared prefix ("The sequence is") and compares the next-token
logits of the first token where the two answers differ, one forward pass for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

INSTRUCTION = "Below is a sequence of system log messages:"
QUESTION = ". Is this sequence normal or anomalous?\n"
ANSWERS = ("The sequence is normal.", "The sequence is anomalous.")
IGNORE_INDEX = -100


@dataclass
class PromptBatch:
    """Right-padded LLM inputs: embeddings, attention mask, labels (answer tokens only) and, per row, the
    position of its last real token."""

    inputs_embeds: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor
    last_positions: torch.Tensor


class PromptTemplate:
    """Token IDs of the fixed prompt parts and the two answers, from the LLM's tokenizer."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase) -> None:
        self.prefix_ids = tokenizer(INSTRUCTION)["input_ids"]
        self.question_ids = tokenizer(QUESTION, add_special_tokens=False)["input_ids"]
        eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
        self.answer_ids = [tokenizer(text, add_special_tokens=False)["input_ids"] + eos for text in ANSWERS]
        normal, anomalous = self.answer_ids
        shared = 0
        while shared < min(len(normal), len(anomalous)) and normal[shared] == anomalous[shared]:
            shared += 1
        if shared == min(len(normal), len(anomalous)):
            raise ValueError("the tokenizer gives the two answers no distinguishing token")
        self.shared_answer_ids = normal[:shared]
        self.decision_ids = (normal[shared], anomalous[shared])

    def assemble(self, embed: nn.Module, windows: list[torch.Tensor], labels: list[int] | None = None) -> PromptBatch:
        """The batch for ``windows`` (one (messages, hidden) tensor of projected vectors each): with the full
        answer for ``labels`` (training), or with the answers' shared prefix only (scoring)."""
        device = embed.weight.device
        prefix, question = (embed(torch.as_tensor(ids, device=device)) for ids in (self.prefix_ids, self.question_ids))
        rows, targets = [], []
        for i, vectors in enumerate(windows):
            answer = self.answer_ids[labels[i]] if labels is not None else self.shared_answer_ids
            answer_embeds = embed(torch.as_tensor(answer, device=device))
            rows.append(torch.cat([prefix, vectors.to(prefix), question, answer_embeds]))
            prompt_length = len(self.prefix_ids) + len(vectors) + len(self.question_ids)
            answer_targets = list(answer) if labels is not None else [IGNORE_INDEX] * len(answer)
            targets.append(torch.as_tensor([IGNORE_INDEX] * prompt_length + answer_targets))
        return _pad_right(rows, targets)


def _pad_right(rows: list[torch.Tensor], targets: list[torch.Tensor]) -> PromptBatch:
    lengths = torch.as_tensor([len(row) for row in rows])
    width, hidden = int(lengths.max()), rows[0].shape[-1]
    embeds = rows[0].new_zeros(len(rows), width, hidden)
    mask = torch.zeros(len(rows), width, dtype=torch.long, device=rows[0].device)
    labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long, device=rows[0].device)
    for i, (row, target) in enumerate(zip(rows, targets, strict=True)):
        embeds[i, : len(row)] = row
        mask[i, : len(row)] = 1
        labels[i, : len(row)] = target
    return PromptBatch(embeds, mask, labels, (lengths - 1).to(rows[0].device))
