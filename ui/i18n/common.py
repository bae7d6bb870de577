"""App-wide words: the app's name, actions, network states, statuses, months, the badge.

Members read all of these, so each has Kannada and Hindi. Keys by prefix: app., action.,
state., net., status., month., time., format., integrity., money., word., lang., nav.
"""

from __future__ import annotations

MEMBER_FACING = True
LANGS_HERE = ("en", "kn", "hi")  # a text the same in every language (a layout, a name)

_MONTHS = {
    "en": (
        *("January", "February", "March", "April", "May", "June", "July"),
        *("August", "September", "October", "November", "December"),
    ),
    "kn": (
        *("ಜನವರಿ", "ಫೆಬ್ರವರಿ", "ಮಾರ್ಚ್", "ಏಪ್ರಿಲ್", "ಮೇ", "ಜೂನ್", "ಜುಲೈ"),
        *("ಆಗಸ್ಟ್", "ಸೆಪ್ಟೆಂಬರ್", "ಅಕ್ಟೋಬರ್", "ನವೆಂಬರ್", "ಡಿಸೆಂಬರ್"),
    ),
    "hi": (
        *("जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई"),
        *("अगस्त", "सितंबर", "अक्टूबर", "नवंबर", "दिसंबर"),
    ),
}
# Short month names only in English ("6 Dec 2026"): shortened Kannada and Hindi month names
# are not what people read on a receipt, so those stay whole.
_SHORT_EN = tuple(name[:3] for name in _MONTHS["en"])


def _months() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for i in range(12):
        full = {lang: names[i] for lang, names in _MONTHS.items()}
        out[f"month.{i + 1}"] = full
        out[f"month.short.{i + 1}"] = {**full, "en": _SHORT_EN[i]}
    return out


STRINGS: dict[str, dict[str, str]] = {
    "app.name": dict.fromkeys(LANGS_HERE, "chitnode"),
    "app.tagline": {
        "en": "Your chit fund, on record",
        "kn": "ನಿಮ್ಮ ಚೀಟಿ, ದಾಖಲೆಯಲ್ಲಿ",
        "hi": "आपकी चिट फंड, रिकॉर्ड में",
    },
    # --- actions (button labels) ---
    "action.log_in": {"en": "Log in", "kn": "ಲಾಗಿನ್", "hi": "लॉग इन"},
    "action.log_out": {"en": "Log out", "kn": "ಲಾಗ್ ಔಟ್", "hi": "लॉग आउट"},
    "action.back": {"en": "Back", "kn": "ಹಿಂದೆ", "hi": "वापस"},
    "action.next": {"en": "Next", "kn": "ಮುಂದೆ", "hi": "आगे"},
    "action.cancel": {"en": "Cancel", "kn": "ರದ್ದುಮಾಡಿ", "hi": "रद्द करें"},
    "action.confirm": {"en": "Confirm", "kn": "ಖಚಿತಪಡಿಸಿ", "hi": "पुष्टि करें"},
    "action.save": {"en": "Save", "kn": "ಉಳಿಸಿ", "hi": "सहेजें"},
    "action.retry": {"en": "Try again", "kn": "ಮತ್ತೆ ಪ್ರಯತ್ನಿಸಿ", "hi": "फिर से कोशिश करें"},
    "action.close": {"en": "Close", "kn": "ಮುಚ್ಚಿ", "hi": "बंद करें"},
    "action.ok": {"en": "OK", "kn": "ಸರಿ", "hi": "ठीक है"},
    "action.yes": {"en": "Yes", "kn": "ಹೌದು", "hi": "हाँ"},
    "action.no": {"en": "No", "kn": "ಇಲ್ಲ", "hi": "नहीं"},
    "action.read_aloud": {"en": "Read aloud", "kn": "ಓದಿ ಹೇಳಿ", "hi": "पढ़कर सुनाएँ"},
    # --- states ---
    "state.loading": {"en": "Loading…", "kn": "ಲೋಡ್ ಆಗುತ್ತಿದೆ…", "hi": "लोड हो रहा है…"},
    "state.not_done": {"en": "Not done", "kn": "ಆಗಲಿಲ್ಲ", "hi": "नहीं हुआ"},
    "state.done": {"en": "Done", "kn": "ಆಯಿತು", "hi": "हो गया"},
    "state.nothing_yet": {"en": "Nothing yet", "kn": "ಇನ್ನೂ ಏನೂ ಇಲ್ಲ", "hi": "अभी कुछ नहीं"},
    # --- the network, said in words (UX.md rule 5) ---
    "net.saved_here": {
        "en": "Saved on this laptop",
        "kn": "ಈ ಲ್ಯಾಪ್‌ಟಾಪ್‌ನಲ್ಲಿ ಉಳಿಸಲಾಗಿದೆ",
        "hi": "इस लैपटॉप पर सहेजा गया",
    },
    "net.saved": {"en": "Saved", "kn": "ಉಳಿಸಲಾಗಿದೆ", "hi": "सहेजा गया"},
    "net.sending": {"en": "Sending…", "kn": "ಕಳುಹಿಸಲಾಗುತ್ತಿದೆ…", "hi": "भेजा जा रहा है…"},
    "net.waiting": {
        "en": "{count} waiting to send",
        "kn": "{count} ಕಳುಹಿಸಲು ಕಾಯುತ್ತಿವೆ",
        "hi": "{count} भेजने के लिए रुके हैं",
    },
    "net.reconnecting": {
        "en": "Reconnecting…",
        "kn": "ಮರುಸಂಪರ್ಕಿಸಲಾಗುತ್ತಿದೆ…",
        "hi": "फिर से जुड़ रहा है…",
    },
    "net.connected": {"en": "Connected", "kn": "ಸಂಪರ್ಕದಲ್ಲಿದೆ", "hi": "जुड़ा हुआ"},
    "net.offline": {"en": "No connection", "kn": "ಸಂಪರ್ಕವಿಲ್ಲ", "hi": "कनेक्शन नहीं है"},
    # --- statuses: each shown with an icon and a colour too (ui/theme.py status_chip) ---
    "status.paid": {"en": "Paid", "kn": "ಪಾವತಿಸಲಾಗಿದೆ", "hi": "भुगतान हो गया"},
    "status.due": {"en": "Due", "kn": "ಪಾವತಿಸಬೇಕು", "hi": "देय"},
    "status.in_arrears": {"en": "In arrears", "kn": "ಹಿಂಬಾಕಿ ಇದೆ", "hi": "बकाया"},
    "status.prized": {"en": "Prized", "kn": "ಬಹುಮಾನ ಪಡೆದಿದೆ", "hi": "इनाम मिला"},
    "status.defaulted": {"en": "Defaulted", "kn": "ಪಾವತಿ ತಪ್ಪಿದೆ", "hi": "चूक हुई"},
    "status.pending": {"en": "Pending", "kn": "ಕಾಯುತ್ತಿದೆ", "hi": "प्रतीक्षा में"},
    "status.settled": {"en": "Settled", "kn": "ಮುಗಿದಿದೆ", "hi": "निपट गया"},
    "status.failed": {"en": "Failed", "kn": "ವಿಫಲವಾಗಿದೆ", "hi": "विफल"},
    # --- dates and times (ui/fmt.py) ---
    "format.date": dict.fromkeys(LANGS_HERE, "{day} {month} {year}"),
    "format.datetime": dict.fromkeys(LANGS_HERE, "{date}, {time}"),
    "time.am": {"en": "{time} am", "kn": "{time} ಪೂರ್ವಾಹ್ನ", "hi": "{time} पूर्वाह्न"},
    "time.pm": {"en": "{time} pm", "kn": "{time} ಅಪರಾಹ್ನ", "hi": "{time} अपराह्न"},
    **_months(),
    # --- money in words from a lakh up (UX.md rule 1; ui/fmt.py rupees_words) ---
    "money.lakh": {"en": "{amount} lakh", "kn": "{amount} ಲಕ್ಷ", "hi": "{amount} लाख"},
    "money.crore": {"en": "{amount} crore", "kn": "{amount} ಕೋಟಿ", "hi": "{amount} करोड़"},
    # --- the integrity badge: does this node's log verify, and when was it checked ---
    "integrity.ok": {
        "en": "Records checked: all correct ({date})",
        "kn": "ದಾಖಲೆಗಳನ್ನು ಪರಿಶೀಲಿಸಲಾಗಿದೆ: ಎಲ್ಲವೂ ಸರಿಯಾಗಿದೆ ({date})",
        "hi": "रिकॉर्ड जाँचे गए: सब सही है ({date})",
    },
    "integrity.failed": {
        "en": "Records check failed ({date}): tell the foreman",
        "kn": "ದಾಖಲೆ ಪರಿಶೀಲನೆ ವಿಫಲವಾಗಿದೆ ({date}): ಫೋರ್‌ಮ್ಯಾನ್‌ಗೆ ತಿಳಿಸಿ",
        "hi": "रिकॉर्ड जाँच विफल ({date}): फ़ोरमैन को बताएँ",
    },
    "integrity.never": {
        "en": "Records not checked yet",
        "kn": "ದಾಖಲೆಗಳನ್ನು ಇನ್ನೂ ಪರಿಶೀಲಿಸಿಲ್ಲ",
        "hi": "रिकॉर्ड अभी जाँचे नहीं गए",
    },
    "integrity.checking": {
        "en": "Checking the records…",
        "kn": "ದಾಖಲೆಗಳನ್ನು ಪರಿಶೀಲಿಸಲಾಗುತ್ತಿದೆ…",
        "hi": "रिकॉर्ड जाँचे जा रहे हैं…",
    },
    # --- words many screens label figures with ---
    "word.amount": {"en": "Amount", "kn": "ಮೊತ್ತ", "hi": "रकम"},
    "word.total": {"en": "Total", "kn": "ಒಟ್ಟು", "hi": "कुल"},
    "word.date": {"en": "Date", "kn": "ದಿನಾಂಕ", "hi": "तारीख"},
    "word.today": {"en": "Today", "kn": "ಇಂದು", "hi": "आज"},
    "word.member": {"en": "Member", "kn": "ಸದಸ್ಯ", "hi": "सदस्य"},
    "word.group": {"en": "Group", "kn": "ಗುಂಪು", "hi": "समूह"},
    "word.foreman": {"en": "Foreman", "kn": "ಫೋರ್‌ಮ್ಯಾನ್", "hi": "फ़ोरमैन"},
    "word.reference": {"en": "Reference", "kn": "ಉಲ್ಲೇಖ", "hi": "संदर्भ"},
    "word.note": {"en": "Note", "kn": "ಟಿಪ್ಪಣಿ", "hi": "टिप्पणी"},
    "word.receipt_no": {
        "en": "Receipt no. {number}",
        "kn": "ರಸೀದಿ ಸಂಖ್ಯೆ {number}",
        "hi": "रसीद नं. {number}",
    },
    "word.ticket_no": {"en": "Ticket {number}", "kn": "ಟಿಕೆಟ್ {number}", "hi": "टिकट {number}"},
    "word.month_of": {
        "en": "Month {month} of {months}",
        "kn": "ತಿಂಗಳು {month} / {months}",
        "hi": "महीना {month} / {months}",
    },
    # --- language and navigation ---
    "lang.choose": {
        "en": "Choose your language",
        "kn": "ನಿಮ್ಮ ಭಾಷೆಯನ್ನು ಆಯ್ಕೆಮಾಡಿ",
        "hi": "अपनी भाषा चुनें",
    },
    "nav.home": {"en": "Home", "kn": "ಮುಖಪುಟ", "hi": "होम"},
    "nav.menu": {"en": "Menu", "kn": "ಮೆನು", "hi": "मेनू"},
}
