"""Student answers that carry personal data, and the strings that must never reach a prompt.

Each case: (id, category, answer text, secrets). A secret is leaked when it appears in a
request body sent to the provider (case-insensitively). The batch's own student ids are
secrets too (``s_batch_NN``, see test_privacy.py). Written for this project; the names,
numbers and addresses are invented.
"""

from __future__ import annotations

CASES: list[tuple[str, str, str, list[str]]] = [
    # ---------------------------------------------------------------- self-introductions
    (
        "intro-hi-im",
        "self-introduction",
        "Hi, I'm Priya! Water moves into the cell by osmosis.",
        ["Priya"],
    ),
    (
        "intro-i-am",
        "self-introduction",
        "I am Tomasz. The cell swells because water enters it.",
        ["Tomasz"],
    ),
    (
        "intro-this-is",
        "self-introduction",
        "This is Chidi here: the cell bursts since it has no wall.",
        ["Chidi"],
    ),
    (
        "intro-hello-this-is",
        "self-introduction",
        "Hello, this is Oksana Petrenko. Water diffuses in.",
        ["Oksana", "Petrenko"],
    ),
    (
        "intro-my-name",
        "self-introduction",
        "My name is Ana Lopez and the cell gains water.",
        ["Ana", "Lopez"],
    ),
    (
        "intro-lowercase",
        "self-introduction",
        "hi im priya, the cell takes up water and bursts",
        ["priya"],
    ),
    (
        "intro-lowercase-name",
        "self-introduction",
        "my name is jordan lee. osmosis makes the cell swell",
        ["jordan", "lee"],
    ),
    (
        "intro-call-me",
        "self-introduction",
        "Call me Jo. The cell shrinks as water leaves it.",
        ["Jo"],
    ),
    (
        "intro-hey-its",
        "self-introduction",
        "Hey it's Mateo, the red cell lyses in pure water.",
        ["Mateo"],
    ),
    (
        "intro-im-called",
        "self-introduction",
        "I'm called Siobhan and I think the cell bursts.",
        ["Siobhan"],
    ),
    (
        "intro-name-colon",
        "self-introduction",
        "Name: Kwame Mensah\nAnswer: water enters by osmosis.",
        ["Kwame", "Mensah"],
    ),
    (
        "intro-full-i-am",
        "self-introduction",
        "I am Yusuf Demir, and water moves from high to low water potential.",
        ["Yusuf", "Demir"],
    ),
    (
        "intro-good-morning",
        "self-introduction",
        "Good morning, I am Ngozi. The membrane lets water through.",
        ["Ngozi"],
    ),
    # ---------------------------------------------------------------- sign-offs
    (
        "signoff-thanks",
        "sign-off",
        "The cell bursts because it has no cell wall. Thanks, Tom",
        ["Tom"],
    ),
    (
        "signoff-best-regards",
        "sign-off",
        "Water enters by osmosis.\n\nBest regards,\nMaria Garcia",
        ["Maria", "Garcia"],
    ),
    ("signoff-dash", "sign-off", "The cytoplasm is hypertonic to pure water.\n-- Sam", ["Sam"]),
    ("signoff-cheers", "sign-off", "It swells and lyses. Cheers, Lukas", ["Lukas"]),
    (
        "signoff-kind-regards-id",
        "sign-off",
        "Osmosis.\nKind regards,\nAisha Khan (s2203344)",
        ["Aisha", "Khan", "s2203344"],
    ),
    (
        "signoff-last-line",
        "sign-off",
        "Water moves in and the cell bursts.\nEmeka Obi",
        ["Emeka", "Obi"],
    ),
    ("signoff-thank-you", "sign-off", "The cell gains water. Thank you, Mr. Okafor", ["Okafor"]),
    (
        "signoff-sincerely",
        "sign-off",
        "Water enters the cell.\nSincerely,\nHannah Schmidt",
        ["Hannah", "Schmidt"],
    ),
    ("signoff-tilde", "sign-off", "cell bursts ~Giulia", ["Giulia"]),
    # ---------------------------------------------------------------- full names without a cue
    ("name-subject", "full name", "Jane Doe says the cell swells, and I agree.", ["Jane", "Doe"]),
    (
        "name-as-said",
        "full name",
        "As Maria Garcia explained in the lab, water enters the cell.",
        ["Maria", "Garcia"],
    ),
    ("name-first-only", "full name", "I asked Priya and she said the cell shrinks.", ["Priya"]),
    (
        "name-with-peer",
        "full name",
        "John Smith and I both think the cell bursts.",
        ["John", "Smith"],
    ),
    (
        "name-international",
        "full name",
        "Wei Zhang told me water leaves the cell.",
        ["Wei", "Zhang"],
    ),
    (
        "name-title",
        "full name",
        "Dr. Hargreaves said the membrane is semi-permeable.",
        ["Hargreaves"],
    ),
    # ---------------------------------------------------------------- student numbers
    ("id-outside-batch", "student number", "s9990001: water moves in by osmosis.", ["s9990001"]),
    ("id-hash", "student number", "id#A01234567 - the cell bursts", ["A01234567"]),
    ("id-sid", "student number", "sid: s7654321. The cell swells.", ["s7654321"]),
    (
        "id-student-no",
        "student number",
        "Student no. 20231234, the cell takes up water.",
        ["20231234"],
    ),
    ("id-my-id-is", "student number", "my ID is 88123456 and water enters", ["88123456"]),
    ("id-matric", "student number", "Matriculation number: 2021-00456. Osmosis.", ["2021-00456"]),
    ("id-bare-letter", "student number", "u7654321 says the cell bursts", ["u7654321"]),
    (
        "id-of-batch",
        "student number",
        "I copied s_batch_03 but water does move in.",
        ["s_batch_03"],
    ),
    ("id-of-batch-upper", "student number", "S_BATCH_05 here. The cell swells.", ["S_BATCH_05"]),
    # ---------------------------------------------------------------- e-mail addresses
    (
        "email-spelled-dot-at",
        "e-mail",
        "mail me: jane dot doe at gmail dot com. Cells burst.",
        ["jane", "doe", "gmail"],
    ),
    (
        "email-brackets",
        "e-mail",
        "jane.doe [at] uni [dot] ac [dot] uk - osmosis",
        ["jane.doe", "jane", "doe"],
    ),
    (
        "email-parentheses",
        "e-mail",
        "contact: k.mensah(at)school(dot)edu, water moves in",
        ["mensah", "k.mensah"],
    ),
    (
        "email-plain",
        "e-mail",
        "Write to ana.lopez+bio@mail.uni-x.edu about osmosis.",
        ["ana.lopez", "lopez"],
    ),
    ("email-at-domain", "e-mail", "reach me at tom_b at outlook.com, the cell lyses", ["tom_b"]),
    # ---------------------------------------------------------------- phone numbers
    (
        "phone-uk-spaced",
        "phone",
        "Call +44 7700 900123 if needed. The cell bursts.",
        ["7700", "900123", "900123"],
    ),
    ("phone-fr-pairs", "phone", "Mon numéro: +33 6 12 34 56 78. Osmose.", ["12 34 56 78", "+33 6"]),
    (
        "phone-us-brackets",
        "phone",
        "text me at (555) 123-4567, water goes in",
        ["123-4567", "(555)"],
    ),
    ("phone-dots", "phone", "555.123.4567 is my number; the cell swells", ["555.123.4567", "4567"]),
    (
        "phone-uk-trunk",
        "phone",
        "ring 0044 (0)20 7946 0958 after class - osmosis",
        ["7946", "0958"],
    ),
    ("phone-contiguous", "phone", "07700900123 whatsapp. The cell bursts.", ["07700900123"]),
    ("phone-de", "phone", "Tel. 030/1234567 - the cell gains water", ["1234567"]),
    ("phone-dashes", "phone", "+1-555-867-5309 call me; water enters", ["867-5309", "5309"]),
    # ---------------------------------------------------------------- several at once
    (
        "mixed-everything",
        "mixed",
        "Hi, I'm Fatima Ali (id: s3141592), fatima dot ali at uni dot edu, +49 151 2345 6789.\n"
        "Water enters by osmosis and the cell bursts.\nThanks,\nFatima",
        ["Fatima", "Ali", "s3141592", "2345", "6789"],
    ),
]
