"""The refusals a member can meet (bids, the draw, minutes, login, wallet, loans), in words.

Each kernel code (chitnode.errors.CODES) becomes the key "error.<code>"; ui.i18n.error_text
reads it. A sentence says what happened and, where there is one, what to do: no codes,
no field names. Codes only staff meet are in errors_staff.py (English).
"""

from __future__ import annotations

MEMBER_FACING = True

# code -> (English, Kannada, Hindi)
_SENTENCES: dict[str, tuple[str, str, str]] = {
    # --- the auction and its bids ---
    "bid_above_cap": (
        "That discount is more than the group allows. Bid a smaller discount.",
        "ಆ ರಿಯಾಯಿತಿ ಗುಂಪು ಅನುಮತಿಸುವುದಕ್ಕಿಂತ ಹೆಚ್ಚು. ಕಡಿಮೆ ರಿಯಾಯಿತಿಗೆ ಬಿಡ್ ಮಾಡಿ.",
        "यह छूट समूह की सीमा से ज़्यादा है। कम छूट की बोली लगाएँ।",
    ),
    "bid_below_minimum": (
        "That discount is below this auction's minimum. Bid a bigger discount.",
        "ಆ ರಿಯಾಯಿತಿ ಈ ಹರಾಜಿನ ಕನಿಷ್ಠಕ್ಕಿಂತ ಕಡಿಮೆ. ಹೆಚ್ಚು ರಿಯಾಯಿತಿಗೆ ಬಿಡ್ ಮಾಡಿ.",
        "यह छूट इस नीलामी की न्यूनतम से कम है। ज़्यादा छूट की बोली लगाएँ।",
    ),
    "bid_increment_too_small": (
        "Your bid must beat the best bid by at least one step.",
        "ನಿಮ್ಮ ಬಿಡ್ ಅತ್ಯುತ್ತಮ ಬಿಡ್‌ಗಿಂತ ಕನಿಷ್ಠ ಒಂದು ಹಂತ ಹೆಚ್ಚಿರಬೇಕು.",
        "आपकी बोली सबसे अच्छी बोली से कम से कम एक कदम ज़्यादा होनी चाहिए।",
    ),
    "bid_not_multiple": (
        "Bids go up in fixed steps. Use the + and − buttons.",
        "ಬಿಡ್‌ಗಳು ನಿಗದಿತ ಹಂತಗಳಲ್ಲಿ ಏರುತ್ತವೆ. + ಮತ್ತು − ಬಟನ್ ಬಳಸಿ.",
        "बोली तय कदमों में बढ़ती है। + और − बटन इस्तेमाल करें।",
    ),
    # a group where only members' own signatures count (issue 15): met by a member whose
    # phone has no key yet, and by staff who try to record for such a member
    "countersig_no_key": (
        "Only a signature from the member's own paired phone counts here, and no phone is"
        " paired yet. Pair the phone at the office first (My signing key).",
        "ಇಲ್ಲಿ ಸದಸ್ಯರ ಸ್ವಂತ ಜೋಡಿಸಿದ ಫೋನ್‌ನ ಸಹಿ ಮಾತ್ರ ಮಾನ್ಯ, ಮತ್ತು ಇನ್ನೂ ಯಾವ ಫೋನ್ ಜೋಡಿಸಿಲ್ಲ."
        " ಮೊದಲು ಕಚೇರಿಯಲ್ಲಿ ಫೋನ್ ಜೋಡಿಸಿ (ನನ್ನ ಸಹಿ ಕೀಲಿ).",
        "यहाँ सिर्फ़ सदस्य के अपने जोड़े गए फ़ोन का हस्ताक्षर मान्य है, और अभी कोई फ़ोन जोड़ा नहीं"
        " गया है। पहले दफ़्तर में फ़ोन जोड़ें (मेरी हस्ताक्षर कुंजी)।",
    ),
    "not_lease_holder": (
        "The laptop running this group cannot be reached now. Try again at the meeting.",
        "ಈ ಗುಂಪನ್ನು ನಡೆಸುವ ಲ್ಯಾಪ್‌ಟಾಪ್ ಈಗ ಸಿಗುತ್ತಿಲ್ಲ. ಸಭೆಯಲ್ಲಿ ಮತ್ತೆ ಪ್ರಯತ್ನಿಸಿ.",
        "इस समूह को चलाने वाला लैपटॉप अभी नहीं मिल रहा। बैठक में फिर कोशिश करें।",
    ),
    "no_lease_holder": (
        "The laptop running this group cannot be reached, so nothing was saved. Try again "
        "in a minute.",
        "ಈ ಗುಂಪನ್ನು ನಡೆಸುವ ಲ್ಯಾಪ್‌ಟಾಪ್ ಸಿಗುತ್ತಿಲ್ಲ, ಆದ್ದರಿಂದ ಏನೂ ಉಳಿಸಲಾಗಿಲ್ಲ. ಒಂದು ನಿಮಿಷದ ನಂತರ ಮತ್ತೆ ಪ್ರಯತ್ನಿಸಿ.",
        "इस समूह को चलाने वाला लैपटॉप नहीं मिल रहा, इसलिए कुछ भी सहेजा नहीं गया। एक मिनट बाद फिर "
        "कोशिश करें।",
    ),
    "too_many_bids": (
        "You have reached the most bids allowed in this auction.",
        "ಈ ಹರಾಜಿನಲ್ಲಿ ಅನುಮತಿಸಿದಷ್ಟು ಬಿಡ್‌ಗಳನ್ನು ನೀವು ಈಗಾಗಲೇ ಮಾಡಿದ್ದೀರಿ.",
        "इस नीलामी में जितनी बोलियाँ लग सकती हैं, आप लगा चुके हैं।",
    ),
    "auction_closed": (
        "Bidding for this month has closed.",
        "ಈ ತಿಂಗಳ ಬಿಡ್ಡಿಂಗ್ ಮುಗಿದಿದೆ.",
        "इस महीने की बोली बंद हो चुकी है।",
    ),
    "auction_ended": (
        "Time is up: the auction has ended.",
        "ಸಮಯ ಮುಗಿಯಿತು: ಹರಾಜು ಮುಗಿದಿದೆ.",
        "समय खत्म: नीलामी समाप्त हो गई है।",
    ),
    "auction_running": (
        "The auction is still running. Wait for the countdown to end.",
        "ಹರಾಜು ಇನ್ನೂ ನಡೆಯುತ್ತಿದೆ. ಸಮಯ ಮುಗಿಯುವವರೆಗೆ ಕಾಯಿರಿ.",
        "नीलामी अभी चल रही है। समय खत्म होने तक रुकें।",
    ),
    "auction_not_closed": (
        "The auction has not closed yet.",
        "ಹರಾಜು ಇನ್ನೂ ಮುಗಿದಿಲ್ಲ.",
        "नीलामी अभी बंद नहीं हुई है।",
    ),
    "no_open_auction": (
        "No auction is open right now.",
        "ಈಗ ಯಾವುದೇ ಹರಾಜು ತೆರೆದಿಲ್ಲ.",
        "अभी कोई नीलामी खुली नहीं है।",
    ),
    "no_bidding_this_month": (
        "This month's prize is not auctioned.",
        "ಈ ತಿಂಗಳ ಬಹುಮಾನವನ್ನು ಹರಾಜು ಮಾಡುವುದಿಲ್ಲ.",
        "इस महीने का इनाम नीलाम नहीं होता।",
    ),
    "first_month_by_lot": (
        "The first month is decided by lot, not by bidding.",
        "ಮೊದಲ ತಿಂಗಳು ಬಿಡ್‌ನಿಂದ ಅಲ್ಲ, ಡ್ರಾ ಮೂಲಕ ನಿರ್ಧಾರವಾಗುತ್ತದೆ.",
        "पहला महीना बोली से नहीं, ड्रॉ से तय होता है।",
    ),
    "foreman_month_no_discount": (
        "This month's chit goes to the foreman, without bidding.",
        "ಈ ತಿಂಗಳ ಚೀಟಿ ಬಿಡ್ ಇಲ್ಲದೆ ಫೋರ್‌ಮ್ಯಾನ್‌ಗೆ ಹೋಗುತ್ತದೆ.",
        "इस महीने की चिट बिना बोली के फ़ोरमैन को जाती है।",
    ),
    "ticket_not_eligible": (
        "This ticket cannot bid this month: it has won already or has dues unpaid.",
        "ಈ ಟಿಕೆಟ್ ಈ ತಿಂಗಳು ಬಿಡ್ ಮಾಡಲು ಆಗದು: ಈಗಾಗಲೇ ಗೆದ್ದಿದೆ ಅಥವಾ ಬಾಕಿ ಇದೆ.",
        "यह टिकट इस महीने बोली नहीं लगा सकता: पहले जीत चुका है या बकाया है।",
    ),
    "not_present": (
        "You were not marked present at this meeting. Ask the foreman.",
        "ಈ ಸಭೆಯಲ್ಲಿ ನಿಮ್ಮನ್ನು ಹಾಜರು ಎಂದು ಗುರುತಿಸಿಲ್ಲ. ಫೋರ್‌ಮ್ಯಾನ್‌ರನ್ನು ಕೇಳಿ.",
        "इस बैठक में आपको उपस्थित नहीं दर्ज किया गया। फ़ोरमैन से पूछें।",
    ),
    "ticket_prized": (
        "This ticket has already won its prize.",
        "ಈ ಟಿಕೆಟ್ ಈಗಾಗಲೇ ಬಹುಮಾನ ಪಡೆದಿದೆ.",
        "इस टिकट को इनाम पहले ही मिल चुका है।",
    ),
    "already_prized": (
        "The prize has already been paid.",
        "ಬಹುಮಾನವನ್ನು ಈಗಾಗಲೇ ಪಾವತಿಸಲಾಗಿದೆ.",
        "इनाम का भुगतान पहले ही हो चुका है।",
    ),
    "not_ticket_holder": (
        "You do not hold that ticket.",
        "ಆ ಟಿಕೆಟ್ ನಿಮ್ಮದಲ್ಲ.",
        "वह टिकट आपका नहीं है।",
    ),
    "not_subscriber": (
        "You have no ticket in this group.",
        "ಈ ಗುಂಪಿನಲ್ಲಿ ನಿಮಗೆ ಟಿಕೆಟ್ ಇಲ್ಲ.",
        "इस समूह में आपका कोई टिकट नहीं है।",
    ),
    "arrears_outstanding": (
        "Some dues are unpaid. Pay the arrears first.",
        "ಕೆಲವು ಬಾಕಿ ಪಾವತಿಯಾಗಿಲ್ಲ. ಮೊದಲು ಹಿಂಬಾಕಿ ಪಾವತಿಸಿ.",
        "कुछ बकाया नहीं चुकाया गया है। पहले बकाया चुकाएँ।",
    ),
    "penalty_outstanding": (
        "Interest on late payments is still unpaid.",
        "ತಡವಾದ ಪಾವತಿಗಳ ಬಡ್ಡಿ ಇನ್ನೂ ಬಾಕಿ ಇದೆ.",
        "देर से भुगतान का ब्याज अभी बाकी है।",
    ),
    "no_arrears": (
        "This ticket owes nothing.",
        "ಈ ಟಿಕೆಟ್‌ಗೆ ಯಾವುದೇ ಬಾಕಿ ಇಲ್ಲ.",
        "इस टिकट पर कुछ बकाया नहीं है।",
    ),
    "amount_above_dues": (
        "That is more than the ticket can ever owe.",
        "ಅದು ಟಿಕೆಟ್ ಕೊಡಬೇಕಾದ ಒಟ್ಟು ಮೊತ್ತಕ್ಕಿಂತ ಹೆಚ್ಚು.",
        "यह टिकट पर कभी भी बनने वाली रकम से ज़्यादा है।",
    ),
    "amount_above_penalty": (
        "That is more than the late-payment interest due.",
        "ಅದು ಬಾಕಿ ಇರುವ ತಡ ಪಾವತಿ ಬಡ್ಡಿಗಿಂತ ಹೆಚ್ಚು.",
        "यह देर से भुगतान के बकाया ब्याज से ज़्यादा है।",
    ),
    # --- the draw by lot, the minutes, the agreement ---
    "already_contributed": (
        "You have already added your part to the draw.",
        "ನೀವು ಈಗಾಗಲೇ ಡ್ರಾಗೆ ನಿಮ್ಮ ಭಾಗ ಸೇರಿಸಿದ್ದೀರಿ.",
        "आप ड्रॉ में अपना हिस्सा पहले ही जोड़ चुके हैं।",
    ),
    "no_lot_this_month": (
        "This month has no draw by lot.",
        "ಈ ತಿಂಗಳು ಡ್ರಾ ಇಲ್ಲ.",
        "इस महीने कोई ड्रॉ नहीं है।",
    ),
    "already_attested": (
        "You have already confirmed these minutes.",
        "ನೀವು ಈ ಸಭೆಯ ನಡಾವಳಿಯನ್ನು ಈಗಾಗಲೇ ದೃಢಪಡಿಸಿದ್ದೀರಿ.",
        "आप इस बैठक के विवरण की पुष्टि पहले ही कर चुके हैं।",
    ),
    "minutes_mismatch": (
        "The minutes changed after you opened them. Open them again.",
        "ನೀವು ತೆರೆದ ನಂತರ ನಡಾವಳಿ ಬದಲಾಗಿದೆ. ಮತ್ತೆ ತೆರೆಯಿರಿ.",
        "खोलने के बाद बैठक का विवरण बदल गया। फिर से खोलें।",
    ),
    "minutes_incomplete": (
        "The minutes need the foreman, the winner and two other members.",
        "ನಡಾವಳಿಗೆ ಫೋರ್‌ಮ್ಯಾನ್, ಗೆದ್ದವರು ಮತ್ತು ಇನ್ನಿಬ್ಬರು ಸದಸ್ಯರು ಬೇಕು.",
        "बैठक के विवरण के लिए फ़ोरमैन, विजेता और दो अन्य सदस्य चाहिए।",
    ),
    "quorum_not_met": (
        "The meeting needs the foreman and at least two members.",
        "ಸಭೆಗೆ ಫೋರ್‌ಮ್ಯಾನ್ ಮತ್ತು ಕನಿಷ್ಠ ಇಬ್ಬರು ಸದಸ್ಯರು ಬೇಕು.",
        "बैठक के लिए फ़ोरमैन और कम से कम दो सदस्य चाहिए।",
    ),
    "already_signed": (
        "You have already signed the agreement.",
        "ನೀವು ಈಗಾಗಲೇ ಒಪ್ಪಂದಕ್ಕೆ ಸಹಿ ಮಾಡಿದ್ದೀರಿ.",
        "आप समझौते पर पहले ही हस्ताक्षर कर चुके हैं।",
    ),
    "no_agreement": (
        "The agreement has not been published yet.",
        "ಒಪ್ಪಂದವನ್ನು ಇನ್ನೂ ಪ್ರಕಟಿಸಿಲ್ಲ.",
        "समझौता अभी जारी नहीं हुआ है।",
    ),
    "terms_mismatch": (
        "The agreement changed after you opened it. Open it again.",
        "ನೀವು ತೆರೆದ ನಂತರ ಒಪ್ಪಂದ ಬದಲಾಗಿದೆ. ಮತ್ತೆ ತೆರೆಯಿರಿ.",
        "खोलने के बाद समझौता बदल गया। फिर से खोलें।",
    ),
    "signatures_missing": (
        "Not everyone has signed yet.",
        "ಎಲ್ಲರೂ ಇನ್ನೂ ಸಹಿ ಮಾಡಿಲ್ಲ.",
        "अभी सबने हस्ताक्षर नहीं किए हैं।",
    ),
    # --- who may act: the login, the member's own consent ---
    "bad_pin": (
        "A PIN is 6 digits.",
        "ಪಿನ್ 6 ಅಂಕಿಗಳದ್ದು.",
        "पिन 6 अंकों का होता है।",
    ),
    "not_allowed_here": (
        "Your login cannot do that.",
        "ನಿಮ್ಮ ಲಾಗಿನ್‌ನಿಂದ ಅದನ್ನು ಮಾಡಲು ಆಗದು.",
        "आपके लॉग इन से यह नहीं हो सकता।",
    ),
    "locked_out": (
        "Too many wrong PINs. Wait a while, then try again.",
        "ತುಂಬಾ ಸಲ ತಪ್ಪು ಪಿನ್. ಸ್ವಲ್ಪ ಹೊತ್ತು ಕಾಯಿರಿ, ನಂತರ ಮತ್ತೆ ಪ್ರಯತ್ನಿಸಿ.",
        "बहुत बार गलत पिन। थोड़ी देर रुकें, फिर कोशिश करें।",
    ),
    "session_expired": (
        "Your login ran out. Log in again.",
        "ನಿಮ್ಮ ಲಾಗಿನ್ ಅವಧಿ ಮುಗಿದಿದೆ. ಮತ್ತೆ ಲಾಗಿನ್ ಮಾಡಿ.",
        "आपका लॉग इन खत्म हो गया। फिर से लॉग इन करें।",
    ),
    "pairing_expired": (
        "This QR code has expired. Ask the foreman for a new one.",
        "ಈ ಕ್ಯೂಆರ್ ಕೋಡ್‌ನ ಅವಧಿ ಮುಗಿದಿದೆ. ಫೋರ್‌ಮ್ಯಾನ್‌ರಿಂದ ಹೊಸದನ್ನು ಕೇಳಿ.",
        "इस क्यूआर कोड की अवधि खत्म हो गई है। फ़ोरमैन से नया माँगें।",
    ),
    "pairing_used": (
        "This QR code was already used. Ask the foreman for a new one.",
        "ಈ ಕ್ಯೂಆರ್ ಕೋಡ್ ಈಗಾಗಲೇ ಬಳಸಲಾಗಿದೆ. ಫೋರ್‌ಮ್ಯಾನ್‌ರಿಂದ ಹೊಸದನ್ನು ಕೇಳಿ.",
        "यह क्यूआर कोड पहले ही इस्तेमाल हो चुका है। फ़ोरमैन से नया माँगें।",
    ),
    "pairing_unknown": (
        "This QR code is not from this meeting's laptop. Scan the one it shows.",
        "ಈ ಕ್ಯೂಆರ್ ಕೋಡ್ ಈ ಸಭೆಯ ಲ್ಯಾಪ್‌ಟಾಪ್‌ನದಲ್ಲ. ಅದು ತೋರಿಸುವ ಕೋಡ್ ಸ್ಕ್ಯಾನ್ ಮಾಡಿ.",
        "यह क्यूआर कोड इस बैठक के लैपटॉप का नहीं है। उस पर दिख रहा कोड स्कैन करें।",
    ),
    "too_many_logins": (
        "Too many people are logged in right now. Try again in a few minutes.",
        "ಈಗ ತುಂಬಾ ಜನ ಲಾಗಿನ್ ಆಗಿದ್ದಾರೆ. ಕೆಲವು ನಿಮಿಷಗಳ ನಂತರ ಪ್ರಯತ್ನಿಸಿ.",
        "अभी बहुत लोग लॉग इन हैं। कुछ मिनट बाद कोशिश करें।",
    ),
    "app_screen_failed": (
        "This screen could not be shown. Go back and try again, or tell the foreman.",
        "ಈ ಪರದೆಯನ್ನು ತೋರಿಸಲು ಆಗಲಿಲ್ಲ. ಹಿಂದೆ ಹೋಗಿ ಮತ್ತೆ ಪ್ರಯತ್ನಿಸಿ, ಅಥವಾ ಫೋರ್‌ಮ್ಯಾನ್‌ಗೆ ತಿಳಿಸಿ.",
        "यह स्क्रीन नहीं दिख सकी। वापस जाकर फिर कोशिश करें, या फ़ोरमैन को बताएँ।",
    ),
    "actor_mismatch": (
        "Only the member can do this, from their own login.",
        "ಇದನ್ನು ಸದಸ್ಯರೇ ತಮ್ಮ ಲಾಗಿನ್‌ನಿಂದ ಮಾಡಬೇಕು.",
        "यह सिर्फ़ सदस्य खुद अपने लॉग इन से कर सकते हैं।",
    ),
    "actor_missing": (
        "This must be done by the member, from their own login.",
        "ಇದನ್ನು ಸದಸ್ಯರೇ ತಮ್ಮ ಲಾಗಿನ್‌ನಿಂದ ಮಾಡಬೇಕು.",
        "यह सदस्य को खुद अपने लॉग इन से करना होगा।",
    ),
    "not_own_member": (
        "This phone acts only for the member it is linked to.",
        "ಈ ಫೋನ್ ಅದಕ್ಕೆ ಜೋಡಿಸಿದ ಸದಸ್ಯರಿಗಾಗಿ ಮಾತ್ರ ಕೆಲಸ ಮಾಡುತ್ತದೆ.",
        "यह फ़ोन सिर्फ़ उसी सदस्य के लिए काम करता है जिससे जुड़ा है।",
    ),
    "unauthorised": (
        "You may not do this.",
        "ನೀವು ಇದನ್ನು ಮಾಡುವಂತಿಲ್ಲ.",
        "आप यह नहीं कर सकते।",
    ),
    "unknown_member": (
        "No such member.",
        "ಅಂತಹ ಸದಸ್ಯರಿಲ್ಲ.",
        "ऐसा कोई सदस्य नहीं है।",
    ),
    "bad_phone": (
        "A mobile number is 10 digits and starts with 6, 7, 8 or 9.",
        "ಮೊಬೈಲ್ ಸಂಖ್ಯೆ 10 ಅಂಕಿಗಳದ್ದು, 6, 7, 8 ಅಥವಾ 9 ರಿಂದ ಶುರುವಾಗುತ್ತದೆ.",
        "मोबाइल नंबर 10 अंकों का होता है और 6, 7, 8 या 9 से शुरू होता है।",
    ),
    # --- the member's key on the phone (the signing page, ui/signer.py) ---
    "signer_bad_input": (
        "The phone's signature did not arrive whole. Open the signing page again.",
        "ಫೋನ್‌ನ ಸಹಿ ಪೂರ್ತಿಯಾಗಿ ಬರಲಿಲ್ಲ. ಸಹಿ ಪುಟವನ್ನು ಮತ್ತೆ ತೆರೆಯಿರಿ.",
        "फ़ोन का हस्ताक्षर पूरा नहीं पहुँचा। हस्ताक्षर पेज फिर से खोलें।",
    ),
    "signer_bad_sig": (
        "The signature did not check out. Ask the foreman to pair this phone again.",
        "ಸಹಿ ಸರಿಯಾಗಿಲ್ಲ. ಈ ಫೋನನ್ನು ಮತ್ತೆ ಜೋಡಿಸಲು ಫೋರ್‌ಮ್ಯಾನ್‌ರನ್ನು ಕೇಳಿ.",
        "हस्ताक्षर सही नहीं निकला। फ़ोरमैन से यह फ़ोन फिर से जोड़ने को कहें।",
    ),
    "signer_full": (
        "Many members are signing right now. Wait a minute and try again.",
        "ಈಗ ಹಲವು ಸದಸ್ಯರು ಸಹಿ ಮಾಡುತ್ತಿದ್ದಾರೆ. ಒಂದು ನಿಮಿಷ ಕಾದು ಮತ್ತೆ ಪ್ರಯತ್ನಿಸಿ.",
        "अभी कई सदस्य हस्ताक्षर कर रहे हैं। एक मिनट रुककर फिर कोशिश करें।",
    ),
    "signer_statement_mismatch": (
        "What was signed is not what was asked. Nothing was saved; sign again from the app.",
        "ಕೇಳಿದ್ದಕ್ಕಿಂತ ಬೇರೆಯದಕ್ಕೆ ಸಹಿ ಆಗಿದೆ. ಏನೂ ಉಳಿಸಿಲ್ಲ; ಆ್ಯಪ್‌ನಿಂದ ಮತ್ತೆ ಸಹಿ ಮಾಡಿ.",
        "जो माँगा गया था, उससे अलग पर हस्ताक्षर हुआ। कुछ सहेजा नहीं गया; ऐप से फिर हस्ताक्षर करें।",
    ),
    "signer_unknown_ticket": (
        "This signing request has expired or was already used. Start again from the app.",
        "ಈ ಸಹಿ ವಿನಂತಿಯ ಅವಧಿ ಮುಗಿದಿದೆ ಅಥವಾ ಈಗಾಗಲೇ ಬಳಸಲಾಗಿದೆ. ಆ್ಯಪ್‌ನಿಂದ ಮತ್ತೆ ಪ್ರಾರಂಭಿಸಿ.",
        "यह हस्ताक्षर अनुरोध पुराना हो गया या पहले ही इस्तेमाल हो चुका। ऐप से फिर शुरू करें।",
    ),
    # --- amounts, the wallet and the bank ---
    "bad_amount": (
        "That is not an amount in rupees. Type digits, like 1,00,000 or 500.50.",
        "ಅದು ರೂಪಾಯಿ ಮೊತ್ತವಲ್ಲ. 1,00,000 ಅಥವಾ 500.50 ರಂತೆ ಅಂಕಿಗಳನ್ನು ಬರೆಯಿರಿ.",
        "यह रुपये की रकम नहीं है। 1,00,000 या 500.50 जैसे अंक लिखें।",
    ),
    "negative_amount": (
        "An amount cannot be less than zero.",
        "ಮೊತ್ತ ಸೊನ್ನೆಗಿಂತ ಕಡಿಮೆ ಇರಬಾರದು.",
        "रकम शून्य से कम नहीं हो सकती।",
    ),
    "non_positive_amount": (
        "Enter an amount more than zero.",
        "ಸೊನ್ನೆಗಿಂತ ಹೆಚ್ಚಿನ ಮೊತ್ತ ಬರೆಯಿರಿ.",
        "शून्य से ज़्यादा रकम लिखें।",
    ),
    "amount_above_limit": (
        "That amount is above the limit.",
        "ಆ ಮೊತ್ತ ಮಿತಿಗಿಂತ ಹೆಚ್ಚು.",
        "यह रकम सीमा से ज़्यादा है।",
    ),
    "not_integer": (
        "Enter a whole number.",
        "ಪೂರ್ಣ ಸಂಖ್ಯೆ ಬರೆಯಿರಿ.",
        "पूरी संख्या लिखें।",
    ),
    "not_integer_paise": (
        "That amount has a part of a paisa. Use at most two digits after the point.",
        "ಆ ಮೊತ್ತದಲ್ಲಿ ಪೈಸೆಯ ಭಾಗವಿದೆ. ಬಿಂದುವಿನ ನಂತರ ಎರಡು ಅಂಕಿ ಮಾತ್ರ ಬಳಸಿ.",
        "इस रकम में पैसे का हिस्सा है। दशमलव के बाद ज़्यादा से ज़्यादा दो अंक लिखें।",
    ),
    "insufficient_funds": (
        "There is not enough money in the wallet for this.",
        "ಇದಕ್ಕೆ ವಾಲೆಟ್‌ನಲ್ಲಿ ಸಾಕಷ್ಟು ಹಣವಿಲ್ಲ.",
        "इसके लिए वॉलेट में पर्याप्त पैसे नहीं हैं।",
    ),
    "self_transfer": (
        "You cannot send money to yourself.",
        "ನಿಮಗೆ ನೀವೇ ಹಣ ಕಳುಹಿಸಲು ಆಗದು.",
        "आप खुद को पैसे नहीं भेज सकते।",
    ),
    "bad_bank_account": (
        "A bank account number is 9 to 18 digits.",
        "ಬ್ಯಾಂಕ್ ಖಾತೆ ಸಂಖ್ಯೆ 9 ರಿಂದ 18 ಅಂಕಿಗಳದ್ದು.",
        "बैंक खाता संख्या 9 से 18 अंकों की होती है।",
    ),
    "wrong_direction": (
        "This bank request goes the other way (deposit or withdrawal).",
        "ಈ ಬ್ಯಾಂಕ್ ವಿನಂತಿ ಇನ್ನೊಂದು ದಿಕ್ಕಿನದು (ಜಮೆ ಅಥವಾ ಹಿಂಪಡೆಯುವಿಕೆ).",
        "यह बैंक अनुरोध उल्टी दिशा का है (जमा या निकासी)।",
    ),
    "request_closed": (
        "This bank request is already closed.",
        "ಈ ಬ್ಯಾಂಕ್ ವಿನಂತಿ ಈಗಾಗಲೇ ಮುಚ್ಚಿದೆ.",
        "यह बैंक अनुरोध पहले ही बंद हो चुका है।",
    ),
    "already_settled": (
        "This bank request is already settled.",
        "ಈ ಬ್ಯಾಂಕ್ ವಿನಂತಿ ಈಗಾಗಲೇ ಮುಗಿದಿದೆ.",
        "यह बैंक अनुरोध पहले ही निपट चुका है।",
    ),
    "unknown_request": (
        "No such bank request.",
        "ಅಂತಹ ಬ್ಯಾಂಕ್ ವಿನಂತಿ ಇಲ್ಲ.",
        "ऐसा कोई बैंक अनुरोध नहीं है।",
    ),
    "request_exists": (
        "This request was already made.",
        "ಈ ವಿನಂತಿಯನ್ನು ಈಗಾಗಲೇ ಮಾಡಲಾಗಿದೆ.",
        "यह अनुरोध पहले ही किया जा चुका है।",
    ),
    # --- loans ---
    "bad_principal": (
        "That loan amount is above the limit.",
        "ಆ ಸಾಲದ ಮೊತ್ತ ಮಿತಿಗಿಂತ ಹೆಚ್ಚು.",
        "यह लोन की रकम सीमा से ज़्यादा है।",
    ),
    "principal_too_small": (
        "That loan amount is too small for this rate and term.",
        "ಈ ಬಡ್ಡಿ ದರ ಮತ್ತು ಅವಧಿಗೆ ಆ ಸಾಲದ ಮೊತ್ತ ತುಂಬಾ ಕಡಿಮೆ.",
        "इस ब्याज दर और अवधि के लिए लोन की रकम बहुत कम है।",
    ),
    "bad_tenure": (
        "Choose a loan term within the months allowed.",
        "ಅನುಮತಿಸಿದ ತಿಂಗಳುಗಳ ಒಳಗೆ ಸಾಲದ ಅವಧಿ ಆಯ್ಕೆಮಾಡಿ.",
        "अनुमति वाले महीनों के अंदर लोन की अवधि चुनें।",
    ),
    "bad_rate": (
        "That interest rate is not allowed.",
        "ಆ ಬಡ್ಡಿ ದರಕ್ಕೆ ಅನುಮತಿ ಇಲ್ಲ.",
        "इस ब्याज दर की अनुमति नहीं है।",
    ),
    "defaulting_subscriber": (
        "Loans go only to members whose instalments are paid up.",
        "ಕಂತುಗಳನ್ನು ಸರಿಯಾಗಿ ಪಾವತಿಸಿದ ಸದಸ್ಯರಿಗೆ ಮಾತ್ರ ಸಾಲ ಸಿಗುತ್ತದೆ.",
        "लोन सिर्फ़ उन सदस्यों को मिलता है जिनकी किस्तें पूरी भरी हैं।",
    ),
    "exceeds_subscriptions": (
        "That is more than your paid instalments can secure.",
        "ಅದು ನೀವು ಪಾವತಿಸಿದ ಕಂತುಗಳು ಭದ್ರಪಡಿಸುವುದಕ್ಕಿಂತ ಹೆಚ್ಚು.",
        "यह आपकी भरी हुई किस्तों की ज़मानत से ज़्यादा है।",
    ),
    "ticket_required": (
        "You hold several tickets here: choose the ticket the loan is against.",
        "ಇಲ್ಲಿ ನಿಮಗೆ ಹಲವು ಟಿಕೆಟ್‌ಗಳಿವೆ: ಸಾಲ ಯಾವ ಟಿಕೆಟ್ ಮೇಲೆ ಎಂದು ಆಯ್ಕೆಮಾಡಿ.",
        "यहाँ आपके कई टिकट हैं: चुनें कि लोन किस टिकट पर है।",
    ),
    "prize_reserved": (
        "That money is held for an unpaid prize and cannot be lent.",
        "ಆ ಹಣ ಪಾವತಿಯಾಗದ ಬಹುಮಾನಕ್ಕಾಗಿ ಇಟ್ಟಿದೆ, ಸಾಲ ಕೊಡಲು ಆಗದು.",
        "यह पैसा बकाया इनाम के लिए रखा है, लोन में नहीं दिया जा सकता।",
    ),
    "loan_exists": (
        "This loan already exists.",
        "ಈ ಸಾಲ ಈಗಾಗಲೇ ಇದೆ.",
        "यह लोन पहले से मौजूद है।",
    ),
    "unknown_loan": (
        "No such loan.",
        "ಅಂತಹ ಸಾಲವಿಲ್ಲ.",
        "ऐसा कोई लोन नहीं है।",
    ),
    "loan_closed": (
        "This loan is fully repaid.",
        "ಈ ಸಾಲ ಪೂರ್ತಿ ತೀರಿದೆ.",
        "यह लोन पूरा चुक गया है।",
    ),
    "repayment_exceeds_owed": (
        "That is more than you owe on this loan.",
        "ಅದು ಈ ಸಾಲದಲ್ಲಿ ನೀವು ಕೊಡಬೇಕಾದ್ದಕ್ಕಿಂತ ಹೆಚ್ಚು.",
        "यह इस लोन पर आपके बकाये से ज़्यादा है।",
    ),
    "already_disbursed": (
        "The money has already been paid out.",
        "ಹಣವನ್ನು ಈಗಾಗಲೇ ಕೊಡಲಾಗಿದೆ.",
        "पैसा पहले ही दिया जा चुका है।",
    ),
    "not_yet_due": (
        "This EMI is not due yet.",
        "ಈ ಇಎಂಐ ಇನ್ನೂ ಬಾಕಿಯಾಗಿಲ್ಲ.",
        "यह ईएमआई अभी देय नहीं है।",
    ),
    "within_grace": (
        "This EMI is still within its grace period.",
        "ಈ ಇಎಂಐ ಇನ್ನೂ ರಿಯಾಯಿತಿ ಅವಧಿಯಲ್ಲಿದೆ.",
        "यह ईएमआई अभी छूट अवधि में है।",
    ),
    # --- groups and months, as a member reads them ---
    "unknown_group": ("No such group.", "ಅಂತಹ ಗುಂಪಿಲ್ಲ.", "ऐसा कोई समूह नहीं है।"),
    "unknown_ticket": ("No such ticket.", "ಅಂತಹ ಟಿಕೆಟ್ ಇಲ್ಲ.", "ऐसा कोई टिकट नहीं है।"),
    "group_closed": (
        "This group is closed.",
        "ಈ ಗುಂಪು ಮುಚ್ಚಿದೆ.",
        "यह समूह बंद हो चुका है।",
    ),
    "group_not_running": (
        "This group has not started yet.",
        "ಈ ಗುಂಪು ಇನ್ನೂ ಶುರುವಾಗಿಲ್ಲ.",
        "यह समूह अभी शुरू नहीं हुआ है।",
    ),
    "group_finished": (
        "Every month of this group is done.",
        "ಈ ಗುಂಪಿನ ಎಲ್ಲಾ ತಿಂಗಳುಗಳು ಮುಗಿದಿವೆ.",
        "इस समूह के सभी महीने पूरे हो चुके हैं।",
    ),
    "wrong_month": (
        "That is not this meeting's month.",
        "ಅದು ಈ ಸಭೆಯ ತಿಂಗಳಲ್ಲ.",
        "यह इस बैठक का महीना नहीं है।",
    ),
    "bad_month": (
        "This group has no such month.",
        "ಈ ಗುಂಪಿನಲ್ಲಿ ಅಂತಹ ತಿಂಗಳಿಲ್ಲ.",
        "इस समूह में ऐसा कोई महीना नहीं है।",
    ),
    "note_required": (
        "Please add a note saying why.",
        "ಕಾರಣ ತಿಳಿಸುವ ಟಿಪ್ಪಣಿ ಸೇರಿಸಿ.",
        "कारण बताते हुए एक टिप्पणी जोड़ें।",
    ),
    # --- the request itself ---
    "duplicate_command": (
        "This was already done; nothing more to do.",
        "ಇದು ಈಗಾಗಲೇ ಆಗಿದೆ; ಮತ್ತೇನೂ ಮಾಡಬೇಕಿಲ್ಲ.",
        "यह पहले ही हो चुका है; और कुछ करने की ज़रूरत नहीं।",
    ),
    "cmd_id_reused": (
        "This request was already used for something else. Start again.",
        "ಈ ವಿನಂತಿಯನ್ನು ಬೇರೆ ಕೆಲಸಕ್ಕೆ ಬಳಸಲಾಗಿದೆ. ಮತ್ತೆ ಶುರು ಮಾಡಿ.",
        "यह अनुरोध किसी और काम में इस्तेमाल हो चुका है। फिर से शुरू करें।",
    ),
    "not_found": ("Not found.", "ಸಿಗಲಿಲ್ಲ.", "नहीं मिला।"),
    "node_closed": (
        "The foreman's laptop is shutting down. Try again when it is back.",
        "ಫೋರ್‌ಮ್ಯಾನ್‌ರ ಲ್ಯಾಪ್‌ಟಾಪ್ ಮುಚ್ಚುತ್ತಿದೆ. ಮತ್ತೆ ಬಂದಾಗ ಪ್ರಯತ್ನಿಸಿ.",
        "फ़ोरमैन का लैपटॉप बंद हो रहा है। वापस चालू होने पर फिर कोशिश करें।",
    ),
    "store_busy": (
        "The laptop is busy. Try again in a moment.",
        "ಲ್ಯಾಪ್‌ಟಾಪ್ ಕಾರ್ಯನಿರತವಾಗಿದೆ. ಸ್ವಲ್ಪ ಹೊತ್ತಿನ ನಂತರ ಪ್ರಯತ್ನಿಸಿ.",
        "लैपटॉप व्यस्त है। थोड़ी देर में फिर कोशिश करें।",
    ),
    "not_applied": (
        "This was saved but did not take effect. Tell the foreman.",
        "ಇದು ಉಳಿಸಲಾಗಿದೆ ಆದರೆ ಜಾರಿಯಾಗಿಲ್ಲ. ಫೋರ್‌ಮ್ಯಾನ್‌ಗೆ ತಿಳಿಸಿ.",
        "यह सहेजा गया पर लागू नहीं हुआ। फ़ोरमैन को बताएँ।",
    ),
    "bad_body": (
        "The request was incomplete. Try again.",
        "ವಿನಂತಿ ಅಪೂರ್ಣವಾಗಿತ್ತು. ಮತ್ತೆ ಪ್ರಯತ್ನಿಸಿ.",
        "अनुरोध अधूरा था। फिर से कोशिश करें।",
    ),
    "usage": (
        "Something in the request was wrong. Try again.",
        "ವಿನಂತಿಯಲ್ಲಿ ಏನೋ ತಪ್ಪಿತ್ತು. ಮತ್ತೆ ಪ್ರಯತ್ನಿಸಿ.",
        "अनुरोध में कुछ गलत था। फिर से कोशिश करें।",
    ),
    "rule_violation": (
        "This breaks a rule of the group, so it was not done.",
        "ಇದು ಗುಂಪಿನ ನಿಯಮಕ್ಕೆ ವಿರುದ್ಧ, ಆದ್ದರಿಂದ ಮಾಡಲಿಲ್ಲ.",
        "यह समूह के नियम के खिलाफ़ है, इसलिए नहीं किया गया।",
    ),
    "chit_error": (
        "This could not be done.",
        "ಇದನ್ನು ಮಾಡಲು ಆಗಲಿಲ್ಲ.",
        "यह नहीं हो सका।",
    ),
}

# Not a kernel code: what error_text says for a code this catalogue does not know.
_UNKNOWN = (
    "This could not be done (reason: {code}). Tell the foreman.",
    "ಇದನ್ನು ಮಾಡಲು ಆಗಲಿಲ್ಲ (ಕಾರಣ: {code}). ಫೋರ್‌ಮ್ಯಾನ್‌ಗೆ ತಿಳಿಸಿ.",
    "यह नहीं हो सका (कारण: {code})। फ़ोरमैन को बताएँ।",
)

STRINGS: dict[str, dict[str, str]] = {
    f"error.{code}": dict(zip(("en", "kn", "hi"), texts, strict=True))
    for code, texts in {**_SENTENCES, "unknown_code": _UNKNOWN}.items()
}
