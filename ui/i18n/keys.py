"""Strings of the member's signing key screens (ui/views/member_keys.py, issue 15).

Format: see ui/i18n/__init__.py. Keys start with "keys.". Members read the "/my-key" and
"/sign" screens on their phones, so every key has Kannada and Hindi (the staff lines too:
one area, one audience).
"""

from __future__ import annotations

MEMBER_FACING = True

STRINGS: dict[str, dict[str, str]] = {
    "keys.title.my": {"en": "My signing key", "kn": "ನನ್ನ ಸಹಿ ಕೀಲಿ", "hi": "मेरी हस्ताक्षर कुंजी"},
    "keys.title.sign": {
        "en": "Sign on your phone",
        "kn": "ನಿಮ್ಮ ಫೋನಿನಲ್ಲಿ ಸಹಿ ಮಾಡಿ",
        "hi": "अपने फ़ोन पर हस्ताक्षर करें",
    },
    "keys.title.staff": {"en": "Member keys", "kn": "ಸದಸ್ಯರ ಕೀಲಿಗಳು", "hi": "सदस्यों की कुंजियाँ"},
    "keys.back": {"en": "Back", "kn": "ಹಿಂದೆ", "hi": "वापस"},
    "keys.my.link": {"en": "My signing key", "kn": "ನನ್ನ ಸಹಿ ಕೀಲಿ", "hi": "मेरी हस्ताक्षर कुंजी"},
    "keys.my.active": {
        "en": "This branch has your key: {fingerprint}",
        "kn": "ಈ ಶಾಖೆಯಲ್ಲಿ ನಿಮ್ಮ ಕೀಲಿ ಇದೆ: {fingerprint}",
        "hi": "इस शाखा में आपकी कुंजी है: {fingerprint}",
    },
    "keys.my.revoked": {
        "en": "Your old key was cancelled. Pair your phone again.",
        "kn": "ನಿಮ್ಮ ಹಳೆಯ ಕೀಲಿ ರದ್ದಾಗಿದೆ. ಫೋನನ್ನು ಮತ್ತೆ ಜೋಡಿಸಿ.",
        "hi": "आपकी पुरानी कुंजी रद्द हो गई। फ़ोन फिर से जोड़ें।",
    },
    "keys.my.none": {
        "en": "You have no signing key yet.",
        "kn": "ನಿಮಗೆ ಇನ್ನೂ ಸಹಿ ಕೀಲಿ ಇಲ್ಲ.",
        "hi": "आपकी अभी कोई हस्ताक्षर कुंजी नहीं है।",
    },
    "keys.my.what": {
        "en": "With a key, only your phone can agree for you: bids, the agreement, the minutes.",
        "kn": "ಕೀಲಿ ಇದ್ದರೆ, ನಿಮ್ಮ ಫೋನ್ ಮಾತ್ರ ನಿಮ್ಮ ಪರವಾಗಿ ಒಪ್ಪಬಹುದು: ಬಿಡ್, ಒಪ್ಪಂದ, ನಡಾವಳಿ.",
        "hi": "कुंजी हो तो केवल आपका फ़ोन आपकी ओर से सहमति दे सकता है: बोली, समझौता, कार्यवृत्त।",
    },
    "keys.my.pair": {"en": "Pair this phone", "kn": "ಈ ಫೋನ್ ಜೋಡಿಸಿ", "hi": "यह फ़ोन जोड़ें"},
    "keys.my.pair_again": {
        "en": "Pair a new phone",
        "kn": "ಹೊಸ ಫೋನ್ ಜೋಡಿಸಿ",
        "hi": "नया फ़ोन जोड़ें",
    },
    "keys.my.open_hint": {
        "en": "Open the signing page: it makes your key and sends its public half to the office.",
        "kn": "ಸಹಿ ಪುಟ ತೆರೆಯಿರಿ: ಅದು ನಿಮ್ಮ ಕೀಲಿ ಮಾಡಿ ಅದರ ಸಾರ್ವಜನಿಕ ಭಾಗವನ್ನು ಕಚೇರಿಗೆ ಕಳುಹಿಸುತ್ತದೆ.",
        "hi": "हस्ताक्षर पेज खोलें: वह आपकी कुंजी बनाकर उसका सार्वजनिक भाग दफ़्तर भेजता है।",
    },
    "keys.my.open": {
        "en": "Open the signing page",
        "kn": "ಸಹಿ ಪುಟ ತೆರೆಯಿರಿ",
        "hi": "हस्ताक्षर पेज खोलें",
    },
    "keys.my.offered": {
        "en": "Sent: {fingerprint}. Check that the office sees the same letters.",
        "kn": "ಕಳುಹಿಸಲಾಗಿದೆ: {fingerprint}. ಕಚೇರಿಯಲ್ಲಿ ಅದೇ ಅಕ್ಷರಗಳಿವೆಯೇ ನೋಡಿ.",
        "hi": "भेजा गया: {fingerprint}। देखें कि दफ़्तर में वही अक्षर दिखें।",
    },
    "keys.sign.nothing": {
        "en": "Nothing is waiting for your signature.",
        "kn": "ನಿಮ್ಮ ಸಹಿಗಾಗಿ ಏನೂ ಕಾಯುತ್ತಿಲ್ಲ.",
        "hi": "आपके हस्ताक्षर के लिए कुछ बाकी नहीं है।",
    },
    "keys.sign.what.agreement.signed": {
        "en": "You are signing the group's agreement.",
        "kn": "ನೀವು ಗುಂಪಿನ ಒಪ್ಪಂದಕ್ಕೆ ಸಹಿ ಮಾಡುತ್ತಿದ್ದೀರಿ.",
        "hi": "आप समूह के समझौते पर हस्ताक्षर कर रहे हैं।",
    },
    "keys.sign.what.auction.bid": {
        "en": "You are placing a bid.",
        "kn": "ನೀವು ಬಿಡ್ ಮಾಡುತ್ತಿದ್ದೀರಿ.",
        "hi": "आप बोली लगा रहे हैं।",
    },
    "keys.sign.what.minutes.attested": {
        "en": "You are confirming the meeting's minutes.",
        "kn": "ನೀವು ಸಭೆಯ ನಡಾವಳಿಯನ್ನು ದೃಢೀಕರಿಸುತ್ತಿದ್ದೀರಿ.",
        "hi": "आप बैठक के कार्यवृत्त की पुष्टि कर रहे हैं।",
    },
    "keys.sign.what.lot.contributed": {
        "en": "You are adding your part to the draw by lot.",
        "kn": "ನೀವು ಚೀಟಿ ಎತ್ತುವಿಕೆಗೆ ನಿಮ್ಮ ಭಾಗ ಸೇರಿಸುತ್ತಿದ್ದೀರಿ.",
        "hi": "आप लॉटरी में अपना हिस्सा जोड़ रहे हैं।",
    },
    "keys.sign.how": {
        "en": "The signing page shows exactly what you agree to. Read it, then tap Sign.",
        "kn": "ನೀವು ಒಪ್ಪುವುದನ್ನು ಸಹಿ ಪುಟ ನಿಖರವಾಗಿ ತೋರಿಸುತ್ತದೆ. ಓದಿ, ನಂತರ ಸಹಿ ಒತ್ತಿ.",
        "hi": "हस्ताक्षर पेज ठीक वही दिखाता है जिस पर आप सहमत हैं। पढ़ें, फिर हस्ताक्षर दबाएँ।",
    },
    "keys.sign.open": {
        "en": "Open the signing page",
        "kn": "ಸಹಿ ಪುಟ ತೆರೆಯಿರಿ",
        "hi": "हस्ताक्षर पेज खोलें",
    },
    "keys.sign.waiting": {
        "en": "Waiting for your signature…",
        "kn": "ನಿಮ್ಮ ಸಹಿಗಾಗಿ ಕಾಯಲಾಗುತ್ತಿದೆ…",
        "hi": "आपके हस्ताक्षर की प्रतीक्षा…",
    },
    "keys.sign.cancel": {"en": "Don't sign", "kn": "ಸಹಿ ಬೇಡ", "hi": "हस्ताक्षर नहीं"},
    "keys.staff.hint": {
        "en": "Read the letters on the member's phone aloud; enrol only when they match.",
        "kn": "ಸದಸ್ಯರ ಫೋನಿನ ಅಕ್ಷರಗಳನ್ನು ಓದಿ; ಹೊಂದಿದರೆ ಮಾತ್ರ ದಾಖಲಿಸಿ.",
        "hi": "सदस्य के फ़ोन के अक्षर पढ़ें; मेल खाएँ तभी दर्ज करें।",
    },
    "keys.staff.offers": {
        "en": "Keys waiting",
        "kn": "ಕಾಯುತ್ತಿರುವ ಕೀಲಿಗಳು",
        "hi": "प्रतीक्षारत कुंजियाँ",
    },
    "keys.staff.offer": {
        "en": "{name} ({member}): {fingerprint}",
        "kn": "{name} ({member}): {fingerprint}",
        "hi": "{name} ({member}): {fingerprint}",
    },
    "keys.staff.replaces": {
        "en": "Replaces the key {fingerprint}",
        "kn": "{fingerprint} ಕೀಲಿಯ ಬದಲಿಗೆ",
        "hi": "कुंजी {fingerprint} की जगह",
    },
    "keys.staff.enrol": {"en": "Enrol this key", "kn": "ಈ ಕೀಲಿ ದಾಖಲಿಸಿ", "hi": "यह कुंजी दर्ज करें"},
    "keys.staff.no_offers": {
        "en": "No phone is waiting.",
        "kn": "ಯಾವ ಫೋನೂ ಕಾಯುತ್ತಿಲ್ಲ.",
        "hi": "कोई फ़ोन प्रतीक्षा में नहीं है।",
    },
    "keys.staff.enrolled": {
        "en": "Keys in the records",
        "kn": "ದಾಖಲೆಯಲ್ಲಿರುವ ಕೀಲಿಗಳು",
        "hi": "रिकॉर्ड में कुंजियाँ",
    },
    "keys.staff.active": {
        "en": "{name} ({member}): {fingerprint}",
        "kn": "{name} ({member}): {fingerprint}",
        "hi": "{name} ({member}): {fingerprint}",
    },
    "keys.staff.revoked": {
        "en": "{name} ({member}): cancelled, pair again",
        "kn": "{name} ({member}): ರದ್ದಾಗಿದೆ, ಮತ್ತೆ ಜೋಡಿಸಿ",
        "hi": "{name} ({member}): रद्द, फिर से जोड़ें",
    },
    "keys.staff.revoke": {
        "en": "Cancel this key (phone lost)",
        "kn": "ಈ ಕೀಲಿ ರದ್ದು ಮಾಡಿ (ಫೋನ್ ಕಳೆದಿದೆ)",
        "hi": "यह कुंजी रद्द करें (फ़ोन खोया)",
    },
    "keys.staff.none_enrolled": {
        "en": "No member has a key yet.",
        "kn": "ಯಾವ ಸದಸ್ಯರಿಗೂ ಇನ್ನೂ ಕೀಲಿ ಇಲ್ಲ.",
        "hi": "अभी किसी सदस्य की कुंजी नहीं है।",
    },
    "keys.staff.refresh": {"en": "Refresh", "kn": "ನವೀಕರಿಸಿ", "hi": "ताज़ा करें"},
}
