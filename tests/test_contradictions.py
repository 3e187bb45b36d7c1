"""The citation check's exact signs: negations, opposites, dropped hedges, abbreviations and acronyms."""

from __future__ import annotations

from assistant.cite.check import initialisms, unseen
from assistant.cite.contradictions import contradictions, hedged, negated, reversed_words
from assistant.text.terms import Vocabulary, terms

SPAN = (
    "North Korea's leader Kim Jong-un shakes hands with Russia's President Vladimir Putin during their meeting "
    "at the Vostochny cosmodrome in Russia's Amur region."
)


def test_a_negation_on_one_side_only_is_a_sign() -> None:
    assert negated("Kim Jong-un and Putin did not meet at the Vostochny cosmodrome.", SPAN) == ["not"]
    assert negated("China has publicly welcomed the visit.", "China has not publicly expressed views on the visit.")
    # both negate, one with a prefix: "unclear" is "not clear"
    assert not negated(
        "It remains unclear whether they reached a deal.", "It is not clear whether they reached a deal."
    )
    # a negation in a clause the sentence does not restate, and one that denies nothing
    assert not negated("The summit was held in Vostochny.", "The summit was held in Vostochny, though no date was set.")
    assert not negated("The summit was held near the Chinese border.", "It was held not far from the Chinese border.")


def test_opposites_and_dropped_hedges() -> None:
    assert reversed_words("The council rejected the budget.", "The council approved the budget.") == ["rejected"]
    assert not reversed_words("The council approved the budget.", "The council approved the budget.")
    speculative = "Putin is likely to visit North Korea, the Kremlin said."
    assert hedged("Putin visited North Korea.", speculative) == ["likely"]
    assert not hedged("Putin is expected to visit North Korea.", speculative)  # the sentence keeps a hedge
    assert not hedged("Nappers had a 12% higher risk.", "Nappers were 12% more likely to have a higher risk.")
    assert not hedged("Crew-10 is the tenth mission.", "As the name suggests, Crew-10 is the tenth mission.")
    heir = "The presence of Kim's daughter, Ju Ae, has fuelled speculation that he is grooming her as his heir."
    assert hedged("Kim is grooming his daughter Ju Ae as his heir.", heir) == ["speculation"]
    assert not hedged("Kim's daughter, Ju Ae, is thought to be groomed as his heir.", heir)  # keeps the hedge
    assert contradictions("Putin visited North Korea.", speculative) == ["hedge 'likely'"]


def test_a_hedge_governs_no_phrase_of_time_after_it() -> None:
    """What a hedged clause says happened around it ("during 18 months of fighting") is stated as fact."""
    stocks = (
        "Supplies that may end up being limited, potentially to replace stocks used up during 18 months of fighting."
    )
    assert not hedged("There have been 18 months of fighting in Ukraine.", stocks)
    assert hedged("North Korea's munitions replaced Russia's used-up stocks.", stocks) == ["potentially"]
    trip = "Media speculated that he would meet Putin in Vladivostok before turning around to make the 20-hour journey."
    assert hedged("Kim met Putin in Vladivostok.", trip) == ["speculated", "would"]


def test_abbreviations_and_acronyms_stand_for_what_the_span_writes_out() -> None:
    span = "The astronauts have remained at the International Space Station since December 31."
    seen = Vocabulary(terms(span))
    acronyms = initialisms(span)
    assert "ISS" in acronyms
    assert unseen("They have stayed on the ISS since Dec. 31.", "", seen, None, acronyms) == []
    assert unseen("They have stayed on the ISS since Dec. 31.", "", seen) == ["ISS"]
    assert unseen("They flew to Mars in Dec. 31.", "", seen, None, acronyms) == ["Mars"]
