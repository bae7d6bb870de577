"""The doors: the staff unlock on the laptop, the member login on a phone, and the laptop's
"Phones" screen with the QR codes that bring phones in."""

from __future__ import annotations

MEMBER_FACING = True  # the member login is a phone's first screen

STRINGS: dict[str, dict[str, str]] = {
    "app.no_screen": {
        "en": "This screen is not available on this node.",
        "kn": "ಈ ಪರದೆ ಈ ನೋಡ್‌ನಲ್ಲಿ ಲಭ್ಯವಿಲ್ಲ.",
        "hi": "यह स्क्रीन इस नोड पर उपलब्ध नहीं है।",
    },
    "header.staff": {"en": "Staff", "kn": "ಸಿಬ್ಬಂದಿ", "hi": "कर्मचारी"},
    "header.theme": {"en": "Light or dark", "kn": "ಬೆಳಕು ಅಥವಾ ಕತ್ತಲು", "hi": "हल्का या गहरा"},
    "login.title": {"en": "Log in", "kn": "ಲಾಗಿನ್", "hi": "लॉग इन"},
    "login.member_id": {"en": "Member number", "kn": "ಸದಸ್ಯ ಸಂಖ್ಯೆ", "hi": "सदस्य संख्या"},
    "login.pin": {"en": "PIN", "kn": "ಪಿನ್", "hi": "पिन"},
    "login.hint": {
        "en": "Your member number is on your passbook. Your PIN was set when you joined.",
        "kn": "ನಿಮ್ಮ ಸದಸ್ಯ ಸಂಖ್ಯೆ ಪಾಸ್‌ಬುಕ್‌ನಲ್ಲಿದೆ. ಸೇರಿದಾಗ ನಿಮ್ಮ ಪಿನ್ ಹೊಂದಿಸಲಾಗಿದೆ.",
        "hi": "आपकी सदस्य संख्या पासबुक पर है। आपका पिन जुड़ते समय बनाया गया था।",
    },
    "login.paired": {
        "en": "This phone is connected to the meeting. Log in with your PIN.",
        "kn": "ಈ ಫೋನ್ ಸಭೆಗೆ ಸಂಪರ್ಕಗೊಂಡಿದೆ. ನಿಮ್ಮ ಪಿನ್‌ನೊಂದಿಗೆ ಲಾಗಿನ್ ಮಾಡಿ.",
        "hi": "यह फ़ोन बैठक से जुड़ गया है। अपने पिन से लॉग इन करें।",
    },
    "login.checking": {"en": "Checking…", "kn": "ಪರಿಶೀಲಿಸಲಾಗುತ್ತಿದೆ…", "hi": "जाँच हो रही है…"},
    "unlock.title": {
        "en": "Unlock the staff screens",
        "kn": "ಸಿಬ್ಬಂದಿ ಪರದೆಗಳನ್ನು ತೆರೆಯಿರಿ",
        "hi": "कर्मचारी स्क्रीन खोलें",
    },
    "unlock.secret": {
        "en": "Passphrase or staff PIN",
        "kn": "ಪಾಸ್‌ಫ್ರೇಸ್ ಅಥವಾ ಸಿಬ್ಬಂದಿ ಪಿನ್",
        "hi": "पासफ़्रेज़ या कर्मचारी पिन",
    },
    "unlock.action": {"en": "Unlock", "kn": "ತೆರೆಯಿರಿ", "hi": "खोलें"},
    "unlock.remote": {
        "en": "Staff screens open only in the browser of the laptop that runs this node.",
        "kn": "ಸಿಬ್ಬಂದಿ ಪರದೆಗಳು ಈ ನೋಡ್ ನಡೆಸುವ ಲ್ಯಾಪ್‌ಟಾಪ್‌ನ ಬ್ರೌಸರ್‌ನಲ್ಲಿ ಮಾತ್ರ ತೆರೆಯುತ್ತವೆ.",
        "hi": "कर्मचारी स्क्रीन केवल इस नोड वाले लैपटॉप के ब्राउज़र में खुलती हैं।",
    },
    "unlock.member_instead": {
        "en": "I am a member",
        "kn": "ನಾನು ಸದಸ್ಯ",
        "hi": "मैं सदस्य हूँ",
    },
    "unlock.staff_instead": {
        "en": "Staff: unlock",
        "kn": "ಸಿಬ್ಬಂದಿ: ತೆರೆಯಿರಿ",
        "hi": "कर्मचारी: खोलें",
    },
    "phones.title": {"en": "Phones", "kn": "ಫೋನ್‌ಗಳು", "hi": "फ़ोन"},
    "phones.scan": {
        "en": "Members scan this with their phone's camera to open the app.",
        "kn": "ಆ್ಯಪ್ ತೆರೆಯಲು ಸದಸ್ಯರು ತಮ್ಮ ಫೋನ್ ಕ್ಯಾಮೆರಾದಿಂದ ಇದನ್ನು ಸ್ಕ್ಯಾನ್ ಮಾಡುತ್ತಾರೆ.",
        "hi": "ऐप खोलने के लिए सदस्य अपने फ़ोन के कैमरे से इसे स्कैन करें।",
    },
    "phones.once": {
        "en": "Each QR opens one phone once. Show a new one for the next phone.",
        "kn": "ಪ್ರತಿ QR ಒಂದು ಫೋನ್ ಅನ್ನು ಒಮ್ಮೆ ತೆರೆಯುತ್ತದೆ. ಮುಂದಿನ ಫೋನ್‌ಗೆ ಹೊಸದನ್ನು ತೋರಿಸಿ.",
        "hi": "हर QR एक फ़ोन को एक बार खोलता है। अगले फ़ोन के लिए नया दिखाएँ।",
    },
    "phones.next": {
        "en": "New QR for the next phone",
        "kn": "ಮುಂದಿನ ಫೋನ್‌ಗೆ ಹೊಸ QR",
        "hi": "अगले फ़ोन के लिए नया QR",
    },
    "phones.member_title": {
        "en": "Log a member in without a PIN",
        "kn": "ಪಿನ್ ಇಲ್ಲದೆ ಸದಸ್ಯರನ್ನು ಲಾಗಿನ್ ಮಾಡಿ",
        "hi": "बिना पिन के सदस्य को लॉग इन करें",
    },
    "phones.member_hint": {
        "en": "For a member who forgot the PIN or is locked out: check who they are, then"
        " let them scan.",
        "kn": "ಪಿನ್ ಮರೆತ ಅಥವಾ ಲಾಕ್ ಆದ ಸದಸ್ಯರಿಗೆ: ಅವರು ಯಾರೆಂದು ಪರಿಶೀಲಿಸಿ, ನಂತರ ಸ್ಕ್ಯಾನ್ ಮಾಡಲು ಬಿಡಿ.",
        "hi": "पिन भूले या लॉक हुए सदस्य के लिए: पहचान जाँचें, फिर उन्हें स्कैन करने दें।",
    },
    "phones.member_qr": {"en": "QR for this member", "kn": "ಈ ಸದಸ್ಯರಿಗೆ QR", "hi": "इस सदस्य के लिए QR"},
    "phones.member_for": {
        "en": "This QR logs in {name} ({member}) once.",
        "kn": "ಈ QR {name} ({member}) ಅವರನ್ನು ಒಮ್ಮೆ ಲಾಗಿನ್ ಮಾಡುತ್ತದೆ.",
        "hi": "यह QR {name} ({member}) को एक बार लॉग इन करता है।",
    },
    "phones.connected": {
        "en": "Members connected now: {count}",
        "kn": "ಈಗ ಸಂಪರ್ಕದಲ್ಲಿರುವ ಸದಸ್ಯರು: {count}",
        "hi": "अभी जुड़े सदस्य: {count}",
    },
}
