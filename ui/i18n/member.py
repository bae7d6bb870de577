"""Strings of the member screens: home, passbook, loans, wallet, agreement, inbox.

Format: see ui/i18n/__init__.py. Keys start with "member.". Members read every one of
these on their phones, so each has Kannada and Hindi. Amounts arrive formatted (ui.fmt);
news lines (member.news.*) never carry an amount: phones are shared (UX.md rule 10).
"""

from __future__ import annotations

MEMBER_FACING = True

STRINGS: dict[str, dict[str, str]] = {
    # --- screen titles and the bottom navigation ---
    "member.title.home": {"en": "My chits", "kn": "ನನ್ನ ಚೀಟಿಗಳು", "hi": "मेरी चिट"},
    "member.title.passbook": {"en": "Passbook", "kn": "ಪಾಸ್‌ಬುಕ್", "hi": "पासबुक"},
    "member.title.loans": {"en": "Loans", "kn": "ಸಾಲಗಳು", "hi": "ऋण"},
    "member.title.wallet": {"en": "Wallet", "kn": "ವಾಲೆಟ್", "hi": "वॉलेट"},
    "member.title.agreement": {"en": "Chit agreement", "kn": "ಚೀಟಿ ಒಪ್ಪಂದ", "hi": "चिट समझौता"},
    "member.title.inbox": {"en": "Inbox", "kn": "ಸಂದೇಶಗಳು", "hi": "संदेश"},
    "member.nav.home": {"en": "Home", "kn": "ಮುಖಪುಟ", "hi": "होम"},
    "member.nav.passbook": {"en": "Passbook", "kn": "ಪಾಸ್‌ಬುಕ್", "hi": "पासबुक"},
    "member.nav.wallet": {"en": "Wallet", "kn": "ವಾಲೆಟ್", "hi": "वॉलेट"},
    "member.nav.inbox": {"en": "Inbox", "kn": "ಸಂದೇಶಗಳು", "hi": "संदेश"},
    # --- home ---
    "member.home.hello": {"en": "Namaste, {name}", "kn": "ನಮಸ್ತೆ, {name}", "hi": "नमस्ते, {name}"},
    "member.home.pay": {
        "en": "Pay {amount} by {date}",
        "kn": "{date} ಒಳಗೆ {amount} ಪಾವತಿಸಿ",
        "hi": "{date} तक {amount} चुकाएँ",
    },
    "member.home.nothing_due": {
        "en": "Nothing to pay this month",
        "kn": "ಈ ತಿಂಗಳು ಪಾವತಿಸಲು ಏನೂ ಇಲ್ಲ",
        "hi": "इस महीने कुछ चुकाना नहीं है",
    },
    "member.home.arrears": {
        "en": "Arrears from earlier months: {amount}",
        "kn": "ಹಿಂದಿನ ತಿಂಗಳುಗಳ ಬಾಕಿ: {amount}",
        "hi": "पिछले महीनों का बकाया: {amount}",
    },
    "member.home.ticket": {
        "en": "{group}, ticket {ticket}",
        "kn": "{group}, ಟಿಕೆಟ್ {ticket}",
        "hi": "{group}, टिकट {ticket}",
    },
    "member.home.month": {
        "en": "Month {month} of {months}",
        "kn": "{months} ರಲ್ಲಿ {month}ನೇ ತಿಂಗಳು",
        "hi": "{months} में से महीना {month}",
    },
    "member.home.forming": {
        "en": "Starts once everyone has signed",
        "kn": "ಎಲ್ಲರೂ ಸಹಿ ಮಾಡಿದ ನಂತರ ಆರಂಭ",
        "hi": "सबके हस्ताक्षर के बाद शुरू",
    },
    "member.home.won": {
        "en": "Won in month {month}",
        "kn": "{month}ನೇ ತಿಂಗಳಲ್ಲಿ ಗೆದ್ದಿದೆ",
        "hi": "महीना {month} में जीता",
    },
    "member.home.ticket_pay": {
        "en": "{amount} due by {date}",
        "kn": "{date} ಒಳಗೆ {amount} ಬಾಕಿ",
        "hi": "{date} तक {amount} देय",
    },
    "member.home.next_meeting": {
        "en": "Next meeting: {group}, {date}",
        "kn": "ಮುಂದಿನ ಸಭೆ: {group}, {date}",
        "hi": "अगली बैठक: {group}, {date}",
    },
    "member.home.no_meeting": {
        "en": "No meeting planned",
        "kn": "ಯಾವುದೇ ಸಭೆ ನಿಗದಿಯಾಗಿಲ್ಲ",
        "hi": "कोई बैठक तय नहीं",
    },
    "member.home.auction_open": {
        "en": "Auction open now: {group}, month {month}",
        "kn": "ಹರಾಜು ಈಗ ತೆರೆದಿದೆ: {group}, {month}ನೇ ತಿಂಗಳು",
        "hi": "नीलामी अभी खुली है: {group}, महीना {month}",
    },
    "member.home.join_auction": {
        "en": "Join the auction",
        "kn": "ಹರಾಜಿಗೆ ಸೇರಿ",
        "hi": "नीलामी में जाएँ",
    },
    "member.home.meeting_open": {
        "en": "Meeting open now: {group}, month {month}",
        "kn": "ಸಭೆ ಈಗ ನಡೆಯುತ್ತಿದೆ: {group}, {month}ನೇ ತಿಂಗಳು",
        "hi": "बैठक अभी चल रही है: {group}, महीना {month}",
    },
    "member.home.check_in": {"en": "I am here", "kn": "ನಾನು ಇಲ್ಲಿದ್ದೇನೆ", "hi": "मैं यहाँ हूँ"},
    "member.home.checked_in": {
        "en": "You are marked present",
        "kn": "ನಿಮ್ಮ ಹಾಜರಿ ದಾಖಲಾಗಿದೆ",
        "hi": "आपकी हाज़िरी लग गई",
    },
    "member.home.waiting": {
        "en": "{count} waiting for you in the inbox",
        "kn": "ಸಂದೇಶಗಳಲ್ಲಿ {count} ನಿಮಗಾಗಿ ಕಾಯುತ್ತಿವೆ",
        "hi": "संदेशों में {count} आपका इंतज़ार कर रहे हैं",
    },
    "member.home.no_tickets": {
        "en": "You hold no ticket in a running group",
        "kn": "ನಡೆಯುತ್ತಿರುವ ಯಾವುದೇ ಗುಂಪಿನಲ್ಲಿ ನಿಮಗೆ ಟಿಕೆಟ್ ಇಲ್ಲ",
        "hi": "किसी चालू समूह में आपका टिकट नहीं है",
    },
    "member.home.loans": {"en": "Loans", "kn": "ಸಾಲಗಳು", "hi": "ऋण"},
    "member.home.agreements": {"en": "Agreements", "kn": "ಒಪ್ಪಂದಗಳು", "hi": "समझौते"},
    # --- passbook ---
    "member.passbook.kind.contribution": {"en": "Paid", "kn": "ಪಾವತಿ", "hi": "भुगतान"},
    "member.passbook.kind.prize_deduction": {
        "en": "Dues kept from the prize",
        "kn": "ಬಹುಮಾನದಿಂದ ಕಡಿತಗೊಂಡ ಬಾಕಿ",
        "hi": "इनाम से काटी गई देय राशि",
    },
    "member.passbook.kind.prize": {"en": "Prize", "kn": "ಬಹುಮಾನ", "hi": "इनाम"},
    "member.passbook.kind.dividend": {
        "en": "Share of discount",
        "kn": "ರಿಯಾಯಿತಿಯ ಪಾಲು",
        "hi": "छूट का हिस्सा",
    },
    "member.passbook.kind.loan_disbursed": {
        "en": "Loan paid out",
        "kn": "ಸಾಲ ನೀಡಲಾಗಿದೆ",
        "hi": "ऋण दिया गया",
    },
    "member.passbook.kind.loan_repaid": {
        "en": "Loan repayment (EMI)",
        "kn": "ಸಾಲದ ಮರುಪಾವತಿ (ಇಎಂಐ)",
        "hi": "ऋण की किस्त (ईएमआई)",
    },
    "member.passbook.where": {
        "en": "{group}, month {month}, ticket {ticket}",
        "kn": "{group}, {month}ನೇ ತಿಂಗಳು, ಟಿಕೆಟ್ {ticket}",
        "hi": "{group}, महीना {month}, टिकट {ticket}",
    },
    "member.passbook.loan": {"en": "Loan {loan}", "kn": "ಸಾಲ {loan}", "hi": "ऋण {loan}"},
    "member.passbook.ref": {"en": "Ref. {ref}", "kn": "ಉಲ್ಲೇಖ {ref}", "hi": "संदर्भ {ref}"},
    "member.passbook.empty": {
        "en": "Nothing recorded yet",
        "kn": "ಇನ್ನೂ ಏನೂ ದಾಖಲಾಗಿಲ್ಲ",
        "hi": "अभी कुछ दर्ज नहीं",
    },
    "member.passbook.paid_in": {
        "en": "Paid in: {amount}",
        "kn": "ಪಾವತಿಸಿದ್ದು: {amount}",
        "hi": "जमा किया: {amount}",
    },
    "member.passbook.received": {
        "en": "Received: {amount}",
        "kn": "ಪಡೆದದ್ದು: {amount}",
        "hi": "मिला: {amount}",
    },
    "member.passbook.save": {
        "en": "Save receipt",
        "kn": "ರಸೀದಿ ಉಳಿಸಿ",
        "hi": "रसीद सहेजें",
    },
    "member.title.receipt": {"en": "Receipt", "kn": "ರಸೀದಿ", "hi": "रसीद"},
    "member.receipt.qr": {
        "en": "The receipt as a QR code",
        "kn": "QR ಕೋಡ್ ಆಗಿ ರಸೀದಿ",
        "hi": "QR कोड के रूप में रसीद",
    },
    "member.receipt.download": {
        "en": "Download the receipt",
        "kn": "ರಸೀದಿ ಡೌನ್‌ಲೋಡ್ ಮಾಡಿ",
        "hi": "रसीद डाउनलोड करें",
    },
    "member.receipt.proves": {
        "en": "This receipt is the signed record itself. Keep it: any branch laptop can check "
        "it, and if the records ever lose it, the receipt proves they were changed.",
        "kn": "ಈ ರಸೀದಿಯೇ ಸಹಿ ಮಾಡಿದ ದಾಖಲೆ. ಇದನ್ನು ಇಟ್ಟುಕೊಳ್ಳಿ: ಯಾವುದೇ ಶಾಖೆಯ ಲ್ಯಾಪ್‌ಟಾಪ್ ಇದನ್ನು "
        "ಪರಿಶೀಲಿಸಬಹುದು; ದಾಖಲೆಗಳಲ್ಲಿ ಇದು ಕಾಣೆಯಾದರೆ, ಅವುಗಳನ್ನು ಬದಲಿಸಲಾಗಿದೆ ಎಂದು ಈ ರಸೀದಿ ತೋರಿಸುತ್ತದೆ.",
        "hi": "यह रसीद स्वयं हस्ताक्षरित रिकॉर्ड है। इसे संभालकर रखें: शाखा का कोई भी लैपटॉप इसे "
        "जाँच सकता है, और यदि रिकॉर्ड से यह कभी गायब हो, तो यह रसीद साबित करती है कि रिकॉर्ड बदले गए।",
    },
    "member.receipt.hash": {
        "en": "Record {hash}",
        "kn": "ದಾಖಲೆ {hash}",
        "hi": "रिकॉर्ड {hash}",
    },
    "member.receipt.none": {
        "en": "There is no receipt of yours here.",
        "kn": "ಇಲ್ಲಿ ನಿಮ್ಮ ರಸೀದಿ ಇಲ್ಲ.",
        "hi": "यहाँ आपकी कोई रसीद नहीं है।",
    },
    "member.receipt.back": {
        "en": "Back to the passbook",
        "kn": "ಪಾಸ್‌ಬುಕ್‌ಗೆ ಹಿಂತಿರುಗಿ",
        "hi": "पासबुक पर वापस",
    },
    "member.receipt.back_wallet": {
        "en": "Back to the wallet",
        "kn": "ವಾಲೆಟ್‌ಗೆ ಹಿಂತಿರುಗಿ",
        "hi": "वॉलेट पर वापस",
    },
    "member.passbook.ask": {
        "en": "Ask about this line",
        "kn": "ಈ ಸಾಲಿನ ಬಗ್ಗೆ ಕೇಳಿ",
        "hi": "इस पंक्ति के बारे में पूछें",
    },
    "member.passbook.asked": {
        "en": "Show the foreman this reference: {ref}",
        "kn": "ಈ ಉಲ್ಲೇಖವನ್ನು ಫೋರ್‌ಮ್ಯಾನ್‌ಗೆ ತೋರಿಸಿ: {ref}",
        "hi": "यह संदर्भ फ़ोरमैन को दिखाएँ: {ref}",
    },
    "member.passbook.unpaid": {
        "en": "Declared, not paid out yet",
        "kn": "ಘೋಷಿಸಲಾಗಿದೆ, ಇನ್ನೂ ನೀಡಿಲ್ಲ",
        "hi": "घोषित, अभी दिया नहीं गया",
    },
    # --- loans ---
    "member.loans.amount": {"en": "Amount", "kn": "ಮೊತ್ತ", "hi": "राशि"},
    "member.loans.months": {"en": "Months", "kn": "ತಿಂಗಳುಗಳು", "hi": "महीने"},
    "member.loans.months_chip": {
        "en": "{months} months",
        "kn": "{months} ತಿಂಗಳು",
        "hi": "{months} महीने",
    },
    "member.loans.purpose": {
        "en": "What is the loan for?",
        "kn": "ಸಾಲ ಯಾವುದಕ್ಕಾಗಿ?",
        "hi": "ऋण किस लिए है?",
    },
    "member.loans.emi": {
        "en": "EMI: {amount} a month",
        "kn": "ಇಎಂಐ: ತಿಂಗಳಿಗೆ {amount}",
        "hi": "ईएमआई: हर महीने {amount}",
    },
    "member.loans.total": {
        "en": "You pay back {total} in all, {interest} of it interest",
        "kn": "ಒಟ್ಟು {total} ಮರುಪಾವತಿ, ಅದರಲ್ಲಿ {interest} ಬಡ್ಡಿ",
        "hi": "कुल {total} लौटाएँगे, जिसमें {interest} ब्याज",
    },
    "member.loans.rate": {
        "en": "Interest {rate} a year, only on what is still owed",
        "kn": "ವರ್ಷಕ್ಕೆ {rate} ಬಡ್ಡಿ, ಉಳಿದ ಬಾಕಿಯ ಮೇಲೆ ಮಾತ್ರ",
        "hi": "सालाना {rate} ब्याज, केवल बची हुई राशि पर",
    },
    "member.loans.summary": {
        "en": "You borrow {amount} for {months} months and pay {emi} each month.",
        "kn": "ನೀವು {months} ತಿಂಗಳಿಗೆ {amount} ಸಾಲ ಪಡೆದು ಪ್ರತಿ ತಿಂಗಳು {emi} ಪಾವತಿಸುತ್ತೀರಿ.",
        "hi": "आप {months} महीनों के लिए {amount} उधार लेंगे और हर महीने {emi} चुकाएँगे।",
    },
    "member.loans.limit": {
        "en": "Your chit payments back a loan of up to about {amount}",
        "kn": "ನಿಮ್ಮ ಚೀಟಿ ಪಾವತಿಗಳ ಆಧಾರದಲ್ಲಿ ಸುಮಾರು {amount} ವರೆಗೆ ಸಾಲ",
        "hi": "आपकी चिट जमा पर लगभग {amount} तक का ऋण",
    },
    "member.loans.apply": {
        "en": "Apply for this loan",
        "kn": "ಈ ಸಾಲಕ್ಕೆ ಅರ್ಜಿ ಸಲ್ಲಿಸಿ",
        "hi": "इस ऋण के लिए आवेदन करें",
    },
    "member.loans.applied": {
        "en": "Application sent: the foreman will decide",
        "kn": "ಅರ್ಜಿ ಕಳುಹಿಸಲಾಗಿದೆ: ಫೋರ್‌ಮ್ಯಾನ್ ನಿರ್ಧರಿಸುತ್ತಾರೆ",
        "hi": "आवेदन भेजा गया: फ़ोरमैन फ़ैसला करेंगे",
    },
    "member.loans.purpose_needed": {
        "en": "Say what the loan is for",
        "kn": "ಸಾಲ ಯಾವುದಕ್ಕಾಗಿ ಎಂದು ತಿಳಿಸಿ",
        "hi": "बताएँ कि ऋण किस लिए है",
    },
    "member.loans.mine": {"en": "My loans", "kn": "ನನ್ನ ಸಾಲಗಳು", "hi": "मेरे ऋण"},
    "member.loans.none": {"en": "No loans yet", "kn": "ಇನ್ನೂ ಸಾಲಗಳಿಲ್ಲ", "hi": "अभी कोई ऋण नहीं"},
    "member.loans.line": {
        "en": "{amount} over {months} months, EMI {emi}",
        "kn": "{months} ತಿಂಗಳಿಗೆ {amount}, ಇಎಂಐ {emi}",
        "hi": "{months} महीनों के लिए {amount}, ईएमआई {emi}",
    },
    "member.loans.outstanding": {
        "en": "Left to repay: {amount}",
        "kn": "ಮರುಪಾವತಿಸಲು ಉಳಿದಿದೆ: {amount}",
        "hi": "चुकाना बाकी: {amount}",
    },
    "member.loans.status.applied": {
        "en": "Applied",
        "kn": "ಅರ್ಜಿ ಸಲ್ಲಿಸಲಾಗಿದೆ",
        "hi": "आवेदन किया",
    },
    "member.loans.status.approved": {"en": "Approved", "kn": "ಅನುಮೋದಿಸಲಾಗಿದೆ", "hi": "स्वीकृत"},
    "member.loans.status.sanctioned": {
        "en": "Sanctioned, to be paid out",
        "kn": "ಮಂಜೂರಾಗಿದೆ, ನೀಡಬೇಕಿದೆ",
        "hi": "मंज़ूर, दिया जाना है",
    },
    "member.loans.status.rejected": {"en": "Not approved", "kn": "ಅನುಮೋದನೆ ಇಲ್ಲ", "hi": "अस्वीकृत"},
    "member.loans.status.active": {"en": "Repaying", "kn": "ಮರುಪಾವತಿ ನಡೆಯುತ್ತಿದೆ", "hi": "चुकाया जा रहा"},
    "member.loans.status.closed": {"en": "Repaid", "kn": "ಮರುಪಾವತಿಯಾಗಿದೆ", "hi": "चुका दिया"},
    # --- wallet ---
    "member.wallet.balance": {"en": "Balance", "kn": "ಬಾಕಿ ಹಣ", "hi": "शेष राशि"},
    "member.wallet.send": {"en": "Send money", "kn": "ಹಣ ಕಳುಹಿಸಿ", "hi": "पैसे भेजें"},
    "member.wallet.deposit": {
        "en": "Add from bank",
        "kn": "ಬ್ಯಾಂಕಿನಿಂದ ಸೇರಿಸಿ",
        "hi": "बैंक से जोड़ें",
    },
    "member.wallet.withdraw": {
        "en": "Take to bank",
        "kn": "ಬ್ಯಾಂಕಿಗೆ ಕಳುಹಿಸಿ",
        "hi": "बैंक में भेजें",
    },
    "member.wallet.to": {
        "en": "Member number of the person",
        "kn": "ಪಡೆಯುವವರ ಸದಸ್ಯ ಸಂಖ್ಯೆ",
        "hi": "पाने वाले का सदस्य नंबर",
    },
    "member.wallet.amount": {"en": "Amount in ₹", "kn": "ಮೊತ್ತ ₹ ನಲ್ಲಿ", "hi": "राशि ₹ में"},
    "member.wallet.confirm_title": {
        "en": "Check before sending",
        "kn": "ಕಳುಹಿಸುವ ಮೊದಲು ಪರಿಶೀಲಿಸಿ",
        "hi": "भेजने से पहले जाँचें",
    },
    "member.wallet.confirm_to": {
        "en": "To: {name} ({member})",
        "kn": "ಯಾರಿಗೆ: {name} ({member})",
        "hi": "किसे: {name} ({member})",
    },
    "member.wallet.confirm_amount": {
        "en": "Amount: {amount}",
        "kn": "ಮೊತ್ತ: {amount}",
        "hi": "राशि: {amount}",
    },
    "member.wallet.confirm_after": {
        "en": "Your balance after: {amount}",
        "kn": "ನಂತರ ನಿಮ್ಮ ಬಾಕಿ: {amount}",
        "hi": "इसके बाद आपकी शेष राशि: {amount}",
    },
    "member.wallet.type_again": {
        "en": "Type the amount again",
        "kn": "ಮೊತ್ತವನ್ನು ಮತ್ತೊಮ್ಮೆ ಬರೆಯಿರಿ",
        "hi": "राशि दोबारा लिखें",
    },
    "member.wallet.not_same": {
        "en": "The two amounts are not the same",
        "kn": "ಎರಡು ಮೊತ್ತಗಳು ಒಂದೇ ಅಲ್ಲ",
        "hi": "दोनों राशियाँ एक जैसी नहीं हैं",
    },
    "member.wallet.send_now": {"en": "Send {amount}", "kn": "{amount} ಕಳುಹಿಸಿ", "hi": "{amount} भेजें"},
    "member.wallet.sent": {
        "en": "Sent {amount} to {name}",
        "kn": "{name} ಅವರಿಗೆ {amount} ಕಳುಹಿಸಲಾಗಿದೆ",
        "hi": "{name} को {amount} भेजे गए",
    },
    "member.wallet.deposit_title": {
        "en": "Add money from your bank",
        "kn": "ನಿಮ್ಮ ಬ್ಯಾಂಕಿನಿಂದ ಹಣ ಸೇರಿಸಿ",
        "hi": "अपने बैंक से पैसे जोड़ें",
    },
    "member.wallet.withdraw_title": {
        "en": "Send money to your bank",
        "kn": "ನಿಮ್ಮ ಬ್ಯಾಂಕಿಗೆ ಹಣ ಕಳುಹಿಸಿ",
        "hi": "अपने बैंक में पैसे भेजें",
    },
    "member.wallet.bank_note": {
        "en": "The bank answers later; this screen shows the answer",
        "kn": "ಬ್ಯಾಂಕ್ ನಂತರ ಉತ್ತರಿಸುತ್ತದೆ; ಉತ್ತರ ಇಲ್ಲಿ ಕಾಣುತ್ತದೆ",
        "hi": "बैंक बाद में जवाब देगा; जवाब यहीं दिखेगा",
    },
    "member.wallet.request_now": {
        "en": "Ask the bank for {amount}",
        "kn": "ಬ್ಯಾಂಕಿಗೆ {amount} ಕೋರಿ",
        "hi": "बैंक से {amount} माँगें",
    },
    "member.wallet.requested": {
        "en": "Request recorded",
        "kn": "ಕೋರಿಕೆ ದಾಖಲಾಗಿದೆ",
        "hi": "अनुरोध दर्ज हुआ",
    },
    "member.wallet.history": {"en": "History", "kn": "ಇತಿಹಾಸ", "hi": "इतिहास"},
    "member.wallet.empty": {
        "en": "No money has moved yet",
        "kn": "ಇನ್ನೂ ಹಣದ ಚಲನೆ ಇಲ್ಲ",
        "hi": "अभी कोई लेन-देन नहीं",
    },
    "member.wallet.move.sent": {
        "en": "Sent to {name}",
        "kn": "{name} ಅವರಿಗೆ ಕಳುಹಿಸಿದ್ದು",
        "hi": "{name} को भेजे",
    },
    "member.wallet.move.received": {
        "en": "From {name}",
        "kn": "{name} ಅವರಿಂದ",
        "hi": "{name} से मिले",
    },
    "member.wallet.move.in": {"en": "Money in", "kn": "ಜಮೆ", "hi": "जमा"},
    "member.wallet.move.out": {"en": "Money out", "kn": "ಖರ್ಚು", "hi": "निकासी"},
    "member.wallet.move.bank_in": {"en": "From the bank", "kn": "ಬ್ಯಾಂಕಿನಿಂದ", "hi": "बैंक से"},
    "member.wallet.move.bank_hold": {
        "en": "Set aside for the bank",
        "kn": "ಬ್ಯಾಂಕಿಗಾಗಿ ಮೀಸಲು",
        "hi": "बैंक के लिए अलग रखा",
    },
    "member.wallet.move.bank_back": {
        "en": "Returned: the bank refused",
        "kn": "ಹಿಂತಿರುಗಿದೆ: ಬ್ಯಾಂಕ್ ನಿರಾಕರಿಸಿತು",
        "hi": "लौटाया गया: बैंक ने मना किया",
    },
    "member.wallet.requests": {"en": "Bank requests", "kn": "ಬ್ಯಾಂಕ್ ಕೋರಿಕೆಗಳು", "hi": "बैंक अनुरोध"},
    "member.wallet.request.deposit": {
        "en": "Deposit of {amount}",
        "kn": "{amount} ಜಮೆ",
        "hi": "{amount} जमा",
    },
    "member.wallet.request.withdrawal": {
        "en": "Withdrawal of {amount}",
        "kn": "{amount} ಹಿಂಪಡೆಯುವಿಕೆ",
        "hi": "{amount} निकासी",
    },
    "member.wallet.request.pending": {
        "en": "Waiting for the bank",
        "kn": "ಬ್ಯಾಂಕಿಗಾಗಿ ಕಾಯುತ್ತಿದೆ",
        "hi": "बैंक का इंतज़ार",
    },
    "member.wallet.request.queued": {
        "en": "Queued: the bank cannot be reached; it will be sent again",
        "kn": "ಸರದಿಯಲ್ಲಿದೆ: ಬ್ಯಾಂಕ್ ಸಿಗುತ್ತಿಲ್ಲ; ಮತ್ತೆ ಕಳುಹಿಸಲಾಗುವುದು",
        "hi": "कतार में: बैंक से संपर्क नहीं हो रहा; फिर भेजा जाएगा",
    },
    "member.wallet.request.settled": {
        "en": "Done, bank ref. {ref}",
        "kn": "ಮುಗಿದಿದೆ, ಬ್ಯಾಂಕ್ ಉಲ್ಲೇಖ {ref}",
        "hi": "हो गया, बैंक संदर्भ {ref}",
    },
    "member.wallet.request.failed": {
        "en": "Refused by the bank: {reason}",
        "kn": "ಬ್ಯಾಂಕ್ ನಿರಾಕರಿಸಿದೆ: {reason}",
        "hi": "बैंक ने मना किया: {reason}",
    },
    # --- the agreement ---
    "member.agreement.value": {
        "en": "Chit value: {amount}",
        "kn": "ಚೀಟಿ ಮೊತ್ತ: {amount}",
        "hi": "चिट राशि: {amount}",
    },
    "member.agreement.size": {
        "en": "{tickets} members, {months} months",
        "kn": "{tickets} ಸದಸ್ಯರು, {months} ತಿಂಗಳು",
        "hi": "{tickets} सदस्य, {months} महीने",
    },
    "member.agreement.subscription": {
        "en": "You pay {amount} a month, less your share of each month's discount",
        "kn": "ತಿಂಗಳಿಗೆ {amount} ಪಾವತಿ, ಪ್ರತಿ ತಿಂಗಳ ರಿಯಾಯಿತಿಯ ನಿಮ್ಮ ಪಾಲು ಕಳೆದು",
        "hi": "हर महीने {amount}, हर महीने की छूट का आपका हिस्सा घटाकर",
    },
    "member.agreement.commission": {
        "en": "Foreman's commission: {percent} of the chit value, from each month's discount",
        "kn": "ಫೋರ್‌ಮ್ಯಾನ್ ಕಮಿಷನ್: ಚೀಟಿ ಮೊತ್ತದ {percent}, ಪ್ರತಿ ತಿಂಗಳ ರಿಯಾಯಿತಿಯಿಂದ",
        "hi": "फ़ोरमैन का कमीशन: चिट राशि का {percent}, हर महीने की छूट से",
    },
    "member.agreement.commission_on_top": {
        "en": "Foreman's commission: {percent} of the chit value, paid on top of the instalments",
        "kn": "ಫೋರ್‌ಮ್ಯಾನ್ ಕಮಿಷನ್: ಚೀಟಿ ಮೊತ್ತದ {percent}, ಕಂತುಗಳ ಜೊತೆಗೆ ಹೆಚ್ಚುವರಿ",
        "hi": "फ़ोरमैन का कमीशन: चिट राशि का {percent}, किस्तों के ऊपर अलग से",
    },
    "member.agreement.max_discount": {
        "en": "A bid may offer a discount of at most {percent}",
        "kn": "ಬಿಡ್ ಗರಿಷ್ಠ {percent} ರಿಯಾಯಿತಿ ನೀಡಬಹುದು",
        "hi": "बोली में अधिकतम {percent} छूट दी जा सकती है",
    },
    "member.agreement.step": {
        "en": "Bids go up in steps of {amount}",
        "kn": "ಬಿಡ್‌ಗಳು {amount} ಹಂತಗಳಲ್ಲಿ ಏರುತ್ತವೆ",
        "hi": "बोलियाँ {amount} के क़दमों में बढ़ती हैं",
    },
    "member.agreement.dividend_all": {
        "en": "Each month's discount, less the commission, is shared by every member",
        "kn": "ಪ್ರತಿ ತಿಂಗಳ ರಿಯಾಯಿತಿ, ಕಮಿಷನ್ ಕಳೆದು, ಎಲ್ಲ ಸದಸ್ಯರಿಗೂ ಹಂಚಲಾಗುತ್ತದೆ",
        "hi": "हर महीने की छूट, कमीशन घटाकर, सभी सदस्यों में बँटती है",
    },
    "member.agreement.dividend_others": {
        "en": "Each month's discount, less the commission, goes to the members who did not win",
        "kn": "ಪ್ರತಿ ತಿಂಗಳ ರಿಯಾಯಿತಿ, ಕಮಿಷನ್ ಕಳೆದು, ಗೆಲ್ಲದ ಸದಸ್ಯರಿಗೆ ಹಂಚಲಾಗುತ್ತದೆ",
        "hi": "हर महीने की छूट, कमीशन घटाकर, न जीतने वाले सदस्यों में बँटती है",
    },
    "member.agreement.meeting": {
        "en": "Meetings on day {day} of each month; pay within {days} days of the month's start",
        "kn": "ಪ್ರತಿ ತಿಂಗಳ {day}ನೇ ದಿನ ಸಭೆ; ತಿಂಗಳ ಆರಂಭದಿಂದ {days} ದಿನಗಳಲ್ಲಿ ಪಾವತಿಸಿ",
        "hi": "हर महीने की {day} तारीख़ को बैठक; महीने की शुरुआत से {days} दिनों में चुकाएँ",
    },
    "member.agreement.penalty": {
        "en": "Interest on late payments: {percent} a year",
        "kn": "ತಡವಾದ ಪಾವತಿಗೆ ಬಡ್ಡಿ: ವರ್ಷಕ್ಕೆ {percent}",
        "hi": "देर से भुगतान पर ब्याज: सालाना {percent}",
    },
    "member.agreement.first_lot": {
        "en": "The first month is not auctioned",
        "kn": "ಮೊದಲ ತಿಂಗಳು ಹರಾಜು ಇಲ್ಲ",
        "hi": "पहले महीने नीलामी नहीं होती",
    },
    "member.agreement.signed": {
        "en": "You signed on {date}",
        "kn": "ನೀವು {date} ರಂದು ಸಹಿ ಮಾಡಿದ್ದೀರಿ",
        "hi": "आपने {date} को हस्ताक्षर किए",
    },
    "member.agreement.sign": {
        "en": "I agree and sign",
        "kn": "ನಾನು ಒಪ್ಪಿ ಸಹಿ ಮಾಡುತ್ತೇನೆ",
        "hi": "मैं सहमत हूँ और हस्ताक्षर करता/करती हूँ",
    },
    "member.agreement.not_published": {
        "en": "The foreman has not published the terms yet",
        "kn": "ಫೋರ್‌ಮ್ಯಾನ್ ಇನ್ನೂ ನಿಯಮಗಳನ್ನು ಪ್ರಕಟಿಸಿಲ್ಲ",
        "hi": "फ़ोरमैन ने अभी शर्तें प्रकाशित नहीं कीं",
    },
    "member.agreement.none": {
        "en": "No agreements",
        "kn": "ಯಾವುದೇ ಒಪ್ಪಂದಗಳಿಲ್ಲ",
        "hi": "कोई समझौता नहीं",
    },
    # --- the inbox ---
    "member.inbox.attest_title": {
        "en": "Minutes to confirm",
        "kn": "ದೃಢೀಕರಿಸಬೇಕಾದ ನಡಾವಳಿ",
        "hi": "पुष्टि के लिए कार्यवृत्त",
    },
    "member.inbox.present": {
        "en": "{group}, month {month}: you were present",
        "kn": "{group}, {month}ನೇ ತಿಂಗಳು: ನೀವು ಹಾಜರಿದ್ದಿರಿ",
        "hi": "{group}, महीना {month}: आप मौजूद थे",
    },
    "member.inbox.won": {
        "en": "{group}, month {month}: you won",
        "kn": "{group}, {month}ನೇ ತಿಂಗಳು: ನೀವು ಗೆದ್ದಿರಿ",
        "hi": "{group}, महीना {month}: आप जीते",
    },
    "member.inbox.attest": {
        "en": "I confirm these minutes",
        "kn": "ಈ ನಡಾವಳಿಯನ್ನು ದೃಢೀಕರಿಸುತ್ತೇನೆ",
        "hi": "मैं इस कार्यवृत्त की पुष्टि करता/करती हूँ",
    },
    "member.inbox.attested": {
        "en": "Confirmed: thank you",
        "kn": "ದೃಢೀಕರಿಸಲಾಗಿದೆ: ಧನ್ಯವಾದ",
        "hi": "पुष्टि हो गई: धन्यवाद",
    },
    "member.inbox.sign_title": {
        "en": "Agreements to sign",
        "kn": "ಸಹಿ ಮಾಡಬೇಕಾದ ಒಪ್ಪಂದಗಳು",
        "hi": "हस्ताक्षर के लिए समझौते",
    },
    "member.inbox.read_and_sign": {
        "en": "Read and sign",
        "kn": "ಓದಿ ಸಹಿ ಮಾಡಿ",
        "hi": "पढ़ें और हस्ताक्षर करें",
    },
    "member.inbox.news": {"en": "What happened", "kn": "ಏನು ನಡೆಯಿತು", "hi": "क्या हुआ"},
    "member.inbox.empty": {
        "en": "Nothing waits for you",
        "kn": "ನಿಮಗಾಗಿ ಏನೂ ಕಾಯುತ್ತಿಲ್ಲ",
        "hi": "आपके लिए कुछ बाकी नहीं",
    },
    "member.news.contribution": {
        "en": "Payment recorded: {group}, month {month}, receipt {ref}",
        "kn": "ಪಾವತಿ ದಾಖಲಾಗಿದೆ: {group}, {month}ನೇ ತಿಂಗಳು, ರಸೀದಿ {ref}",
        "hi": "भुगतान दर्ज: {group}, महीना {month}, रसीद {ref}",
    },
    "member.news.prize_deduction": {
        "en": "Dues kept from your prize: {group}, month {month}, receipt {ref}",
        "kn": "ಬಹುಮಾನದಿಂದ ಬಾಕಿ ಕಡಿತ: {group}, {month}ನೇ ತಿಂಗಳು, ರಸೀದಿ {ref}",
        "hi": "इनाम से देय कटौती: {group}, महीना {month}, रसीद {ref}",
    },
    "member.news.prize": {
        "en": "Your prize: {group}, month {month}, ref. {ref}",
        "kn": "ನಿಮ್ಮ ಬಹುಮಾನ: {group}, {month}ನೇ ತಿಂಗಳು, ಉಲ್ಲೇಖ {ref}",
        "hi": "आपका इनाम: {group}, महीना {month}, संदर्भ {ref}",
    },
    "member.news.dividend": {
        "en": "Share of discount credited: {group}, month {month}",
        "kn": "ರಿಯಾಯಿತಿ ಪಾಲು ಜಮೆ: {group}, {month}ನೇ ತಿಂಗಳು",
        "hi": "छूट का हिस्सा जमा: {group}, महीना {month}",
    },
    "member.news.loan_disbursed": {
        "en": "Loan paid out, ref. {ref}",
        "kn": "ಸಾಲ ನೀಡಲಾಗಿದೆ, ಉಲ್ಲೇಖ {ref}",
        "hi": "ऋण दिया गया, संदर्भ {ref}",
    },
    "member.news.loan_repaid": {
        "en": "Loan repayment recorded, ref. {ref}",
        "kn": "ಸಾಲ ಮರುಪಾವತಿ ದಾಖಲಾಗಿದೆ, ಉಲ್ಲೇಖ {ref}",
        "hi": "ऋण भुगतान दर्ज, संदर्भ {ref}",
    },
    "member.news.wallet": {
        "en": "Wallet: money moved, ref. {ref}",
        "kn": "ವಾಲೆಟ್: ಹಣ ಚಲನೆ, ಉಲ್ಲೇಖ {ref}",
        "hi": "वॉलेट: लेन-देन, संदर्भ {ref}",
    },
}
