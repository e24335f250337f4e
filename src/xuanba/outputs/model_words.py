"""What a round stored about its models, in sentences a manager reads (report and statements).

Example
-------
>>> meta = {"fallback": {"criteria": ["still_active"], "reason": "no candidate can be trusted"}}
>>> model_trust_lines(meta, "en")[0].startswith("No customer-base model could be trusted")
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xuanba.i18n import WARNING_KEYS, choice_words, read_phrase
from xuanba.outputs.i18n import num, t


def model_trust_lines(meta: Mapping[str, Any], lang: str) -> list[str]:
    """Sentences on the fallback the round applied, the model ``auto`` chose, fits that cannot
    be trusted, and the P(alive) of one-time buyers; empty when there is nothing to say."""
    out: list[str] = []
    fallback = meta.get("fallback")
    if isinstance(fallback, Mapping):
        out.append(t("trust_fallback", lang, criteria=t("list_sep", lang).join(fallback.get("criteria") or []),
                     reason=choice_words(str(fallback.get("reason", "")), lang)))
    choice = meta.get("model_choice")
    if isinstance(choice, Mapping) and choice.get("model"):
        out.append(t("trust_chosen", lang, model=str(choice["model"]),
                     reason=choice_words(str(choice.get("reason", "")), lang)))
    said = (read_phrase(str(w), WARNING_KEYS) for w in meta.get("model_warnings") or [])
    untrusted = sorted({s[1]["model"] for s in said if s is not None and s[0] == "trust_problem"})
    for model in untrusted:
        out.append(t("trust_untrusted", lang, model=model))
    once = (meta.get("summary") or {}).get("one_time_buyers")
    if isinstance(once, Mapping) and once.get("customers") and once.get("mean_p_alive") is not None:
        out.append(t("trust_one_time", lang, n=num(once["customers"]), mean=num(float(once["mean_p_alive"]), 2),
                     sure=num(once.get("surely_active", 0))))
    return out
