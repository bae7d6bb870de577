"""The two doors: the staff unlock on the laptop and the member login on a phone."""

from __future__ import annotations

MEMBER_FACING = True  # the member login is a phone's first screen

STRINGS: dict[str, dict[str, str]] = {
    "app.no_screen": {
        "en": "This screen is not available on this node.",
        "kn": "ಈ ಪರದೆ ಈ ನೋಡ್‌ನಲ್ಲಿ ಲಭ್ಯವಿಲ್ಲ.",
        "hi": "यह स्क्रीन इस नोड पर उपलब्ध नहीं है।",
    },
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
}
