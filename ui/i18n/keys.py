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
    # what a signature stands for, on the phone's "/sign" screen
    "keys.sign.what.heads.witnessed": {
        "en": "You are witnessing the branch's records at the meeting's close.",
        "kn": "ಸಭೆಯ ಮುಕ್ತಾಯದಲ್ಲಿ ನೀವು ಶಾಖೆಯ ದಾಖಲೆಗಳಿಗೆ ಸಾಕ್ಷಿಯಾಗುತ್ತಿದ್ದೀರಿ.",
        "hi": "बैठक के अंत में आप शाखा के रिकॉर्ड के गवाह बन रहे हैं।",
    },
    "keys.sign.minutes.month": {
        "en": "{group}, month {month}",
        "kn": "{group}, ತಿಂಗಳು {month}",
        "hi": "{group}, महीना {month}",
    },
    "keys.sign.minutes.winner": {
        "en": "Winner: ticket {ticket}, {name}",
        "kn": "ವಿಜೇತರು: ಟಿಕೆಟ್ {ticket}, {name}",
        "hi": "विजेता: टिकट {ticket}, {name}",
    },
    "keys.sign.minutes.prize": {
        "en": "Prize: {prize}",
        "kn": "ಬಹುಮಾನ: {prize}",
        "hi": "इनाम: {prize}",
    },
    "keys.sign.minutes.hash": {
        "en": "The minutes' fingerprint: {hash}",
        "kn": "ನಡಾವಳಿಯ ಗುರುತು: {hash}",
        "hi": "कार्यवृत्त की पहचान: {hash}",
    },
    "keys.sign.witness.meeting": {
        "en": "{group}, meeting of month {month}",
        "kn": "{group}, ತಿಂಗಳು {month} ರ ಸಭೆ",
        "hi": "{group}, महीना {month} की बैठक",
    },
    "keys.sign.witness.log": {
        "en": "The log of {branch} as of {time}, {entries} entries from {devices} devices;"
        " you are a witness.",
        "kn": "{time} ರಂತೆ {branch} ನ ದಾಖಲೆ, {devices} ಸಾಧನಗಳಿಂದ {entries} ನಮೂದುಗಳು; ನೀವು ಸಾಕ್ಷಿ.",
        "hi": "{time} तक {branch} का रिकॉर्ड, {devices} उपकरणों से {entries} प्रविष्टियाँ; आप गवाह हैं।",
    },
    # the foreman's minutes step: a keyed member confirms from the phone, not at the table
    "keys.minutes.on_phone": {
        "en": "Confirms on their phone: Inbox, then I confirm these minutes",
        "kn": "ತಮ್ಮ ಫೋನಿನಲ್ಲಿ ದೃಢೀಕರಿಸುತ್ತಾರೆ: ಇನ್‌ಬಾಕ್ಸ್, ನಂತರ ದೃಢೀಕರಿಸಿ",
        "hi": "अपने फ़ोन पर पुष्टि करते हैं: इनबॉक्स, फिर पुष्टि करें",
    },
    # the member's home: the foreman asks this phone to witness
    "keys.witness.asked": {
        "en": "{group}, month {month}: the foreman asks you to witness the records",
        "kn": "{group}, ತಿಂಗಳು {month}: ದಾಖಲೆಗಳಿಗೆ ಸಾಕ್ಷಿಯಾಗಲು ಫೋರ್‌ಮ್ಯಾನ್ ಕೇಳುತ್ತಿದ್ದಾರೆ",
        "hi": "{group}, महीना {month}: फ़ोरमैन आपसे रिकॉर्ड का गवाह बनने को कहते हैं",
    },
    "keys.witness.sign": {
        "en": "Witness on my phone",
        "kn": "ನನ್ನ ಫೋನಿನಲ್ಲಿ ಸಾಕ್ಷಿಯಾಗು",
        "hi": "अपने फ़ोन पर गवाही दें",
    },
    # the foreman's close step: the members present witness the log
    "keys.witness.title": {
        "en": "Witnesses: the phones present sign the records as they stand",
        "kn": "ಸಾಕ್ಷಿಗಳು: ಹಾಜರಿರುವ ಫೋನುಗಳು ಈಗಿನ ದಾಖಲೆಗಳಿಗೆ ಸಹಿ ಮಾಡುತ್ತವೆ",
        "hi": "गवाह: मौजूद फ़ोन रिकॉर्ड पर अभी की स्थिति में हस्ताक्षर करते हैं",
    },
    "keys.witness.what": {
        "en": "Each witness can later catch a laptop that shows anyone other records.",
        "kn": "ನಂತರ ಬೇರೆ ದಾಖಲೆಗಳನ್ನು ತೋರಿಸುವ ಲ್ಯಾಪ್‌ಟಾಪನ್ನು ಪ್ರತಿ ಸಾಕ್ಷಿ ಹಿಡಿಯಬಹುದು.",
        "hi": "हर गवाह बाद में किसी को दूसरे रिकॉर्ड दिखाने वाले लैपटॉप को पकड़ सकता है।",
    },
    "keys.witness.keyed": {
        "en": "{name} ({member}): can witness from the phone",
        "kn": "{name} ({member}): ಫೋನಿನಿಂದ ಸಾಕ್ಷಿಯಾಗಬಹುದು",
        "hi": "{name} ({member}): फ़ोन से गवाही दे सकते हैं",
    },
    "keys.witness.no_key": {
        "en": "{name} ({member}): no key on a phone, cannot witness",
        "kn": "{name} ({member}): ಫೋನಿನಲ್ಲಿ ಕೀಲಿ ಇಲ್ಲ, ಸಾಕ್ಷಿಯಾಗಲಾರರು",
        "hi": "{name} ({member}): फ़ोन पर कुंजी नहीं, गवाही नहीं दे सकते",
    },
    "keys.witness.waiting": {
        "en": "{name} ({member}): waiting for the phone",
        "kn": "{name} ({member}): ಫೋನಿಗಾಗಿ ಕಾಯಲಾಗುತ್ತಿದೆ",
        "hi": "{name} ({member}): फ़ोन की प्रतीक्षा",
    },
    "keys.witness.signed": {
        "en": "{name} ({member}): signed",
        "kn": "{name} ({member}): ಸಹಿ ಮಾಡಿದ್ದಾರೆ",
        "hi": "{name} ({member}): हस्ताक्षर किए",
    },
    "keys.witness.nobody": {
        "en": "No member is present: the laptop can witness alone.",
        "kn": "ಯಾವ ಸದಸ್ಯರೂ ಹಾಜರಿಲ್ಲ: ಲ್ಯಾಪ್‌ಟಾಪ್ ಒಂದೇ ಸಾಕ್ಷಿಯಾಗಬಹುದು.",
        "hi": "कोई सदस्य मौजूद नहीं: लैपटॉप अकेले गवाही दे सकता है।",
    },
    "keys.witness.ask": {
        "en": "Ask the members present to witness",
        "kn": "ಹಾಜರಿರುವ ಸದಸ್ಯರನ್ನು ಸಾಕ್ಷಿಯಾಗಲು ಕೇಳಿ",
        "hi": "मौजूद सदस्यों से गवाही माँगें",
    },
    "keys.witness.ask_again": {
        "en": "Ask again over the records as they are now",
        "kn": "ಈಗಿನ ದಾಖಲೆಗಳ ಮೇಲೆ ಮತ್ತೆ ಕೇಳಿ",
        "hi": "अभी के रिकॉर्ड पर फिर माँगें",
    },
    "keys.witness.write": {
        "en": "Write the witness ({count} member signatures)",
        "kn": "ಸಾಕ್ಷಿ ಬರೆಯಿರಿ ({count} ಸದಸ್ಯರ ಸಹಿಗಳು)",
        "hi": "गवाही लिखें ({count} सदस्य हस्ताक्षर)",
    },
    "keys.witness.done": {
        "en": "Witnessed: entry {seq} of this laptop, with {count} member signatures.",
        "kn": "ಸಾಕ್ಷಿ ಬರೆಯಲಾಗಿದೆ: ಈ ಲ್ಯಾಪ್‌ಟಾಪಿನ ನಮೂದು {seq}, {count} ಸದಸ್ಯರ ಸಹಿಗಳೊಂದಿಗೆ.",
        "hi": "गवाही लिखी गई: इस लैपटॉप की प्रविष्टि {seq}, {count} सदस्य हस्ताक्षरों के साथ।",
    },
}
