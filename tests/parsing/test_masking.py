"""Every masking rule on its own (what it masks and what it leaves), switching rules off, extras, errors."""

from __future__ import annotations

import pytest

from logad.config import config_from_dict
from logad.errors import ConfigError
from logad.parsing.masking import RULE_NAMES, Masker, MaskingConfig

# rule: (masked examples as (input, expected), untouched examples)
CASES: dict[str, tuple[list[tuple[str, str]], list[str]]] = {
    "ellipsis": ([("waiting...done", "waiting.. done")], ["a..b", "end."]),
    "boolean": ([("flag true", "flag <*>"), ("is False.", "is <*>.")], ["untrue", "Trueman", "construe"]),
    "number_word": ([("one of two", "<*> of <*>")], ["someone", "often", "phone"]),
    "weekday": ([("Mon started", "<*> started"), ("on Friday", "on <*>")], ["Monitor", "Sunday_x"]),
    "month_day": (
        [("since Jun 14 boot", "since <*> boot"), ("Sep  3", "<*>")],
        ["June issue", "Jun", "Junk 14"],
    ),
    "ip": ([("from 10.0.0.1:8080 ok", "from <*> ok"), ("10.250.19.102", "<*>")], ["1.2.3", "version 1.2"]),
    "mac": (
        [("aa:bb:cc:dd:ee:0f up", "<*> up"), ("00:11:22:33:44:55:66:77:88:99:aa:bb", "<*>")],
        ["aa:bb:cc", "gg:hh:ii:jj:kk:ll"],
    ),
    "path": (
        [("open /var/log/syslog failed", "open <*> failed"), ("C:\\Windows\\x.dll", "<*>"), ("R/W", "<*>")],
        ["a or b", "no_path_here"],
    ),
    "hex": ([("id deadbeef", "id <*>"), ("abcdefabcd", "<*>")], ["deadbee", "cafebabe00x", "blackbeard"]),
    "user_host": (
        [("root@host", "<*>"), ("admin@example.com ok", "<*> ok"), ("u@h-suffix", "<*>")],
        ["@ alone", "mail@", "a @b"],
    ),
    "digit_token": (
        [("port 22", "port <*>"), ("blk_-123 x", "<*> x"), ("node-7a:1.2", "<*>"), ("(uid=0)", "(uid=<*>)")],
        ["no digits here", "x-y_z.w"],
    ),
}


def test_every_rule_has_cases() -> None:
    assert set(CASES) == set(OFF_CASES) == set(RULE_NAMES)


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_rule_masks_its_examples_and_nothing_else(rule: str) -> None:
    masker = Masker(MaskingConfig(rules=(rule,)))
    masked, untouched = CASES[rule]
    for message, expected in masked:
        assert masker.mask(message) == expected, message
    for message in untouched:
        assert masker.mask(message) == message, message


# rule: (message, result with every other rule on); every default rule changes the message
OFF_CASES = {
    "ellipsis": ("wait...done", "wait...done"),
    "boolean": ("flag true", "flag true"),
    "number_word": ("one of two", "one of two"),
    "weekday": ("Mon started", "Mon started"),
    "month_day": ("since Jun 14 boot", "since Jun <*> boot"),
    "ip": ("10.0.0.1abc", "<*>"),
    "mac": ("aa:bb:cc:dd:ee:ff up", "aa:bb:cc:dd:ee:ff up"),
    "path": ("open /var/log/syslog failed", "open /var/log/syslog failed"),
    "hex": ("id deadbeef", "id deadbeef"),
    "user_host": ("root@host", "root@host"),
    "digit_token": ("port 22", "port 22"),
}


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_switching_a_rule_off(rule: str) -> None:
    message, expected = OFF_CASES[rule]
    assert Masker(MaskingConfig(rules=tuple(r for r in RULE_NAMES if r != rule))).mask(message) == expected
    assert Masker().mask(message) != expected


def test_default_masks_typical_lines() -> None:
    masker = Masker()
    assert (
        masker.mask("Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6")
        == "Received block <*> of size <*> from <*>"
    )
    assert (
        masker.mask("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass")
        == "<*> <*> combo sshd(pam_unix)[<*>]: check pass"
    )
    assert masker.mask("msra-sa-41/10.190.173.170:9000") == "<*><*>"  # LogLLM: digit word, then path


def test_whitespace_is_kept() -> None:
    assert Masker().mask("a  b\tc 12 ") == "a  b\tc <*> "


def test_extra_regexes_run_first_in_order_and_placeholder_is_configurable() -> None:
    masker = Masker(MaskingConfig(rules=(), extra=(r"core\.\d+", r"\d+"), placeholder="<V>"))
    assert masker.mask("core.12 at 5") == "<V> at <V>"
    assert Masker(MaskingConfig(placeholder="\\x")).mask("port 22") == "port \\x"


def test_from_dict_and_errors() -> None:
    config = config_from_dict(MaskingConfig, {"rules": ["ip"], "extra": ["x+"]})
    assert config.rules == ("ip",) and config.extra == ("x+",)
    with pytest.raises(ConfigError, match="unknown rule"):
        config_from_dict(MaskingConfig, {"rules": ["ipv9"]}, "masking")
    with pytest.raises(ConfigError, match=r"extra\[1\]"):
        config_from_dict(MaskingConfig, {"extra": ["ok", "(unclosed"]}, "masking")
    with pytest.raises(ConfigError, match="placeholder"):
        config_from_dict(MaskingConfig, {"placeholder": "a b"}, "masking")
