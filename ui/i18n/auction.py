"""Strings of the auction screens: the foreman's live auction ("/auction") and a member's
auction room on a phone ("/room").

Format: see ui/i18n/__init__.py. Keys start with "auction.". Members read the room, so
every key has Kannada and Hindi; the desk's words are translated too (a foreman may read
Kannada better than English).
"""

from __future__ import annotations

MEMBER_FACING = True

STRINGS: dict[str, dict[str, str]] = {
    "auction.back_to_meeting": {
        "en": "Back to the meeting",
        "kn": "ಸಭೆಗೆ ಹಿಂತಿರುಗಿ",
        "hi": "बैठक पर वापस",
    },
    "auction.earlier_bids": {
        "en": "and {count} earlier bids",
        "kn": "ಮತ್ತು {count} ಹಿಂದಿನ ಬಿಡ್‌ಗಳು",
        "hi": "और {count} पहले की बोलियाँ",
    },
    "auction.back_home": {"en": "My home", "kn": "ನನ್ನ ಮುಖಪುಟ", "hi": "मेरा होम"},
    # --- both screens ---
    "auction.title": {"en": "Live auction", "kn": "ನೇರ ಹರಾಜು", "hi": "लाइव नीलामी"},
    "auction.room_title": {"en": "Auction room", "kn": "ಹರಾಜು ಕೊಠಡಿ", "hi": "नीलामी कक्ष"},
    "auction.group_month": {
        "en": "{group} · month {month}",
        "kn": "{group} · ತಿಂಗಳು {month}",
        "hi": "{group} · महीना {month}",
    },
    "auction.rules": {"en": "Rules", "kn": "ನಿಯಮಗಳು", "hi": "नियम"},
    "auction.min": {"en": "Minimum discount", "kn": "ಕನಿಷ್ಠ ರಿಯಾಯಿತಿ", "hi": "न्यूनतम छूट"},
    "auction.max": {
        "en": "Maximum discount (cap)",
        "kn": "ಗರಿಷ್ಠ ರಿಯಾಯಿತಿ (ಮಿತಿ)",
        "hi": "अधिकतम छूट (सीमा)",
    },
    "auction.increment": {
        "en": "Each bid beats the best by",
        "kn": "ಪ್ರತಿ ಬಿಡ್ ಅತ್ಯುತ್ತಮಕ್ಕಿಂತ ಇಷ್ಟು ಹೆಚ್ಚು",
        "hi": "हर बोली सबसे अच्छी से इतनी अधिक",
    },
    "auction.countdown": {"en": "Time left", "kn": "ಉಳಿದ ಸಮಯ", "hi": "बचा समय"},
    "auction.best": {"en": "Best discount", "kn": "ಅತ್ಯುತ್ತಮ ರಿಯಾಯಿತಿ", "hi": "सबसे अच्छी छूट"},
    "auction.no_bids": {"en": "No bids yet", "kn": "ಇನ್ನೂ ಬಿಡ್ ಇಲ್ಲ", "hi": "अभी कोई बोली नहीं"},
    "auction.bid_line": {
        "en": "{alias} offers {discount}",
        "kn": "{alias} {discount} ನೀಡುತ್ತಾರೆ",
        "hi": "{alias} {discount} की बोली",
    },
    "auction.status_none": {
        "en": "This month's auction is not open yet.",
        "kn": "ಈ ತಿಂಗಳ ಹರಾಜು ಇನ್ನೂ ತೆರೆದಿಲ್ಲ.",
        "hi": "इस महीने की नीलामी अभी खुली नहीं है।",
    },
    "auction.status_open": {"en": "Bidding is open", "kn": "ಬಿಡ್ ತೆರೆದಿದೆ", "hi": "बोली खुली है"},
    "auction.status_ended": {
        "en": "Time is up: no more bids",
        "kn": "ಸಮಯ ಮುಗಿದಿದೆ: ಇನ್ನು ಬಿಡ್ ಇಲ್ಲ",
        "hi": "समय समाप्त: अब बोली नहीं",
    },
    "auction.status_drawing": {
        "en": "Closed: the draw decides, waiting for its reveal",
        "kn": "ಮುಚ್ಚಿದೆ: ಚೀಟಿ ಎತ್ತುವಿಕೆ ನಿರ್ಧರಿಸುತ್ತದೆ, ಬಹಿರಂಗಕ್ಕಾಗಿ ಕಾಯುತ್ತಿದೆ",
        "hi": "बंद: लॉटरी तय करेगी, खुलने की प्रतीक्षा",
    },
    "auction.status_closed": {"en": "Closed", "kn": "ಮುಚ್ಚಿದೆ", "hi": "बंद"},
    "auction.no_bidding": {
        "en": "This month's prize is not auctioned.",
        "kn": "ಈ ತಿಂಗಳ ಬಹುಮಾನ ಹರಾಜಾಗುವುದಿಲ್ಲ.",
        "hi": "इस महीने का इनाम नीलाम नहीं होता।",
    },
    "auction.result": {
        "en": "{alias} won with a discount of {discount}",
        "kn": "{alias} {discount} ರಿಯಾಯಿತಿಯೊಂದಿಗೆ ಗೆದ್ದರು",
        "hi": "{alias} {discount} की छूट से जीते",
    },
    "auction.result_lot": {
        "en": "{alias} won by lot, with a discount of {discount}",
        "kn": "{alias} ಚೀಟಿ ಎತ್ತುವಿಕೆಯಿಂದ {discount} ರಿಯಾಯಿತಿಯೊಂದಿಗೆ ಗೆದ್ದರು",
        "hi": "{alias} लॉटरी से {discount} की छूट पर जीते",
    },
    "auction.prize": {"en": "Prize", "kn": "ಬಹುಮಾನ", "hi": "इनाम"},
    "auction.commission": {"en": "Foreman's commission", "kn": "ಫೋರ್‌ಮನ್ ಕಮಿಷನ್", "hi": "फोरमैन कमीशन"},
    "auction.share": {
        "en": "Share of discount per ticket",
        "kn": "ಪ್ರತಿ ಟಿಕೆಟ್‌ಗೆ ರಿಯಾಯಿತಿ ಪಾಲು",
        "hi": "प्रति टिकट छूट का हिस्सा",
    },
    "auction.next_instalment": {"en": "Next instalment", "kn": "ಮುಂದಿನ ಕಂತು", "hi": "अगली किस्त"},
    "auction.step_up": {"en": "+{amount}", "kn": "+{amount} ಹೆಚ್ಚು", "hi": "+{amount} अधिक"},
    "auction.step_down": {"en": "−{amount}", "kn": "−{amount} ಕಡಿಮೆ", "hi": "−{amount} कम"},
    "auction.proposed": {
        "en": "Your bid: {discount}",
        "kn": "ನಿಮ್ಮ ಬಿಡ್: {discount}",
        "hi": "आपकी बोली: {discount}",
    },
    "auction.take_home": {
        "en": "If this wins, the prize taken home is {prize}",
        "kn": "ಇದು ಗೆದ್ದರೆ, ಮನೆಗೆ ಒಯ್ಯುವ ಬಹುಮಾನ {prize}",
        "hi": "यह जीती तो घर ले जाने वाला इनाम {prize}",
    },
    # --- the foreman's desk ---
    "auction.eligible": {
        "en": "Tickets in this draw",
        "kn": "ಈ ಡ್ರಾದಲ್ಲಿರುವ ಟಿಕೆಟ್‌ಗಳು",
        "hi": "इस ड्रा के टिकट",
    },
    "auction.ticket_line": {
        "en": "Ticket {ticket} · {name} · {alias}",
        "kn": "ಟಿಕೆಟ್ {ticket} · {name} · {alias}",
        "hi": "टिकट {ticket} · {name} · {alias}",
    },
    "auction.absent": {"en": "absent", "kn": "ಗೈರು", "hi": "अनुपस्थित"},
    "auction.may_not_bid": {
        "en": "may not bid: {why}",
        "kn": "ಬಿಡ್ ಮಾಡುವಂತಿಲ್ಲ: {why}",
        "hi": "बोली नहीं लगा सकते: {why}",
    },
    "auction.choose": {
        "en": "Bid for a member present: choose the ticket",
        "kn": "ಹಾಜರಿರುವ ಸದಸ್ಯರಿಗಾಗಿ ಬಿಡ್: ಟಿಕೆಟ್ ಆರಿಸಿ",
        "hi": "उपस्थित सदस्य के लिए बोली: टिकट चुनें",
    },
    "auction.bidding_for": {
        "en": "Bidding for {name} (ticket {ticket}, {alias})",
        "kn": "{name} ಅವರಿಗಾಗಿ ಬಿಡ್ (ಟಿಕೆಟ್ {ticket}, {alias})",
        "hi": "{name} के लिए बोली (टिकट {ticket}, {alias})",
    },
    "auction.place_bid": {
        "en": "Place this bid for them",
        "kn": "ಅವರಿಗಾಗಿ ಈ ಬಿಡ್ ಹಾಕಿ",
        "hi": "उनके लिए यह बोली लगाएँ",
    },
    "auction.close": {"en": "Close the auction", "kn": "ಹರಾಜು ಮುಚ್ಚಿ", "hi": "नीलामी बंद करें"},
    "auction.reveal": {
        "en": "Reveal the draw",
        "kn": "ಚೀಟಿ ಎತ್ತುವಿಕೆ ಬಹಿರಂಗಪಡಿಸಿ",
        "hi": "लॉटरी खोलें",
    },
    "auction.no_secret": {
        "en": "This laptop does not hold the draw's secret: reveal it where the draw was opened.",
        "kn": "ಈ ಲ್ಯಾಪ್‌ಟಾಪ್‌ನಲ್ಲಿ ಡ್ರಾದ ರಹಸ್ಯವಿಲ್ಲ: ಸಭೆ ತೆರೆದಲ್ಲೇ ಬಹಿರಂಗಪಡಿಸಿ.",
        "hi": "इस लैपटॉप पर ड्रा का रहस्य नहीं है: जहाँ बैठक खुली वहीं खोलें।",
    },
    "auction.waiting_contributions": {
        "en": "Time is up. Two members present add to the draw, then close.",
        "kn": "ಸಮಯ ಮುಗಿದಿದೆ. ಹಾಜರಿರುವ ಇಬ್ಬರು ಸದಸ್ಯರು ಡ್ರಾಗೆ ಸೇರಿಸಿ, ನಂತರ ಮುಚ್ಚಿ.",
        "hi": "समय समाप्त। उपस्थित दो सदस्य ड्रा में जोड़ें, फिर बंद करें।",
    },
    "auction.to_settlement": {
        "en": "Go on to the settlement",
        "kn": "ಇತ್ಯರ್ಥಕ್ಕೆ ಮುಂದುವರಿಯಿರಿ",
        "hi": "निपटान पर आगे बढ़ें",
    },
    # --- a member's room ---
    "auction.my_alias": {"en": "You are {alias}", "kn": "ನೀವು {alias}", "hi": "आप {alias} हैं"},
    "auction.my_limits": {
        "en": "You may offer {low} to {high}, in steps of {step}",
        "kn": "ನೀವು {low} ರಿಂದ {high} ವರೆಗೆ, {step} ಹಂತಗಳಲ್ಲಿ ನೀಡಬಹುದು",
        "hi": "आप {low} से {high} तक, {step} के कदमों में दे सकते हैं",
    },
    "auction.leading": {"en": "You are leading", "kn": "ನೀವು ಮುಂದಿದ್ದೀರಿ", "hi": "आप आगे हैं"},
    "auction.outbid": {
        "en": "Someone bid more than you",
        "kn": "ಯಾರೋ ನಿಮಗಿಂತ ಹೆಚ್ಚು ಬಿಡ್ ಮಾಡಿದರು",
        "hi": "किसी ने आपसे अधिक बोली लगाई",
    },
    "auction.bid": {"en": "Bid {discount}", "kn": "{discount} ಬಿಡ್", "hi": "{discount} बोली"},
    "auction.confirm_title": {
        "en": "Confirm your bid",
        "kn": "ನಿಮ್ಮ ಬಿಡ್ ಖಚಿತಪಡಿಸಿ",
        "hi": "अपनी बोली पक्की करें",
    },
    "auction.confirm_body": {
        "en": "You offer a discount of {discount}. If you win, you take home {prize}.",
        "kn": "ನೀವು {discount} ರಿಯಾಯಿತಿ ನೀಡುತ್ತೀರಿ. ಗೆದ್ದರೆ {prize} ಮನೆಗೆ ಒಯ್ಯುತ್ತೀರಿ.",
        "hi": "आप {discount} की छूट देते हैं। जीते तो {prize} घर ले जाएँगे।",
    },
    "auction.confirm": {"en": "Yes, bid", "kn": "ಹೌದು, ಬಿಡ್ ಮಾಡಿ", "hi": "हाँ, बोली लगाएँ"},
    "auction.cancel": {"en": "Cancel", "kn": "ರದ್ದು", "hi": "रद्द करें"},
    "auction.saved": {
        "en": "Your bid is saved on the foreman's laptop",
        "kn": "ನಿಮ್ಮ ಬಿಡ್ ಫೋರ್‌ಮನ್ ಲ್ಯಾಪ್‌ಟಾಪ್‌ನಲ್ಲಿ ಉಳಿಸಲಾಗಿದೆ",
        "hi": "आपकी बोली फोरमैन के लैपटॉप पर सहेजी गई",
    },
    "auction.you_won": {
        "en": "You won! You take home {prize}.",
        "kn": "ನೀವು ಗೆದ್ದಿರಿ! {prize} ಮನೆಗೆ ಒಯ್ಯುತ್ತೀರಿ.",
        "hi": "आप जीत गए! आप {prize} घर ले जाएँगे।",
    },
    "auction.my_share": {
        "en": "Your share of the discount",
        "kn": "ರಿಯಾಯಿತಿಯಲ್ಲಿ ನಿಮ್ಮ ಪಾಲು",
        "hi": "छूट में आपका हिस्सा",
    },
    "auction.my_next": {
        "en": "Your next instalment",
        "kn": "ನಿಮ್ಮ ಮುಂದಿನ ಕಂತು",
        "hi": "आपकी अगली किस्त",
    },
    "auction.cannot_bid": {
        "en": "Your ticket cannot bid this month: {why}",
        "kn": "ನಿಮ್ಮ ಟಿಕೆಟ್ ಈ ತಿಂಗಳು ಬಿಡ್ ಮಾಡುವಂತಿಲ್ಲ: {why}",
        "hi": "आपका टिकट इस महीने बोली नहीं लगा सकता: {why}",
    },
    # the draw by lot from the phone, and the desk's bids for a member with a signing key
    "auction.share_what": {
        "en": (
            "Nobody bid, or the best bids tie: the winner is drawn by lot. Your phone makes"
            " your share of the draw and signs it; no one else chooses it."
        ),
        "kn": (
            "ಯಾರೂ ಬಿಡ್ ಮಾಡಿಲ್ಲ, ಅಥವಾ ಉತ್ತಮ ಬಿಡ್‌ಗಳು ಸಮವಾಗಿವೆ: ವಿಜೇತರನ್ನು ಚೀಟಿ ಎತ್ತಿ ಆರಿಸಲಾಗುತ್ತದೆ."
            " ನಿಮ್ಮ ಫೋನ್ ಡ್ರಾದಲ್ಲಿ ನಿಮ್ಮ ಪಾಲನ್ನು ಮಾಡಿ ಸಹಿ ಮಾಡುತ್ತದೆ; ಬೇರೆ ಯಾರೂ ಅದನ್ನು ಆರಿಸುವುದಿಲ್ಲ."
        ),
        "hi": (
            "किसी ने बोली नहीं लगाई, या सबसे अच्छी बोलियाँ बराबर हैं: विजेता लॉटरी से चुना जाएगा।"
            " आपका फ़ोन ड्रॉ में आपका हिस्सा बनाकर उस पर हस्ताक्षर करता है; उसे कोई और नहीं चुनता।"
        ),
    },
    "auction.share_add": {
        "en": "Add my share to the draw",
        "kn": "ಡ್ರಾಗೆ ನನ್ನ ಪಾಲು ಸೇರಿಸಿ",
        "hi": "ड्रॉ में मेरा हिस्सा जोड़ें",
    },
    "auction.share_added": {
        "en": "Your share is in the draw.",
        "kn": "ನಿಮ್ಮ ಪಾಲು ಡ್ರಾದಲ್ಲಿದೆ.",
        "hi": "आपका हिस्सा ड्रॉ में है।",
    },
    "auction.share_at_table": {
        "en": "The foreman adds your share to the draw at the table.",
        "kn": "ಫೋರ್‌ಮನ್ ಮೇಜಿನ ಬಳಿ ಡ್ರಾಗೆ ನಿಮ್ಮ ಪಾಲು ಸೇರಿಸುತ್ತಾರೆ.",
        "hi": "फोरमैन मेज़ पर ड्रॉ में आपका हिस्सा जोड़ते हैं।",
    },
    "auction.share_pair_first": {
        "en": (
            "In this group only your own phone can add your share: pair it first under"
            " My signing key, then come back here."
        ),
        "kn": (
            "ಈ ಗುಂಪಿನಲ್ಲಿ ನಿಮ್ಮ ಫೋನ್ ಮಾತ್ರ ನಿಮ್ಮ ಪಾಲು ಸೇರಿಸಬಹುದು: ಮೊದಲು ನನ್ನ ಸಹಿ ಕೀ ಅಡಿಯಲ್ಲಿ"
            " ಅದನ್ನು ಜೋಡಿಸಿ, ನಂತರ ಇಲ್ಲಿಗೆ ಹಿಂತಿರುಗಿ."
        ),
        "hi": (
            "इस समूह में सिर्फ़ आपका अपना फ़ोन आपका हिस्सा जोड़ सकता है: पहले मेरी हस्ताक्षर"
            " कुंजी में उसे जोड़ें, फिर यहाँ लौटें।"
        ),
    },
    "auction.keyed": {
        "en": "signs on their phone",
        "kn": "ತಮ್ಮ ಫೋನಿನಲ್ಲಿ ಸಹಿ ಮಾಡುತ್ತಾರೆ",
        "hi": "अपने फ़ोन पर हस्ताक्षर करते हैं",
    },
    "auction.sent_to_phone": {
        "en": "Sent to {name}'s phone: {name} reads the bid there and signs it, or not.",
        "kn": "{name} ಅವರ ಫೋನಿಗೆ ಕಳುಹಿಸಲಾಗಿದೆ: {name} ಅಲ್ಲಿ ಬಿಡ್ ಓದಿ ಸಹಿ ಮಾಡುತ್ತಾರೆ, ಅಥವಾ ಮಾಡುವುದಿಲ್ಲ.",
        "hi": "{name} के फ़ोन पर भेजा गया: {name} वहाँ बोली पढ़कर हस्ताक्षर करेंगे, या नहीं।",
    },
    "auction.bids_on_phone": {
        "en": (
            "{name} has a signing key, so only {name}'s phone can bid for them: ask {name} to"
            " log in on the phone and bid from the auction there."
        ),
        "kn": (
            "{name} ಅವರಿಗೆ ಸಹಿ ಕೀ ಇದೆ, ಆದ್ದರಿಂದ ಅವರ ಫೋನ್ ಮಾತ್ರ ಅವರಿಗಾಗಿ ಬಿಡ್ ಮಾಡಬಹುದು: ಫೋನಿನಲ್ಲಿ"
            " ಲಾಗಿನ್ ಆಗಿ ಅಲ್ಲಿಂದ ಹರಾಜಿನಲ್ಲಿ ಬಿಡ್ ಮಾಡಲು {name} ಅವರನ್ನು ಕೇಳಿ."
        ),
        "hi": (
            "{name} के पास हस्ताक्षर कुंजी है, इसलिए सिर्फ़ उनका फ़ोन उनके लिए बोली लगा सकता है:"
            " {name} से फ़ोन पर लॉग इन करके वहीं नीलामी में बोली लगाने को कहें।"
        ),
    },
}
