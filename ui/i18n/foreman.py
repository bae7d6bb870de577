"""Strings of the foreman's screens: home, one group, a new group and its set-up, a new member.

Format: see ui/i18n/__init__.py. Keys start with "foreman.". Staff read these on the
laptop, in English; members never see them (their own screens are in ui/i18n/member.py).
"""

from __future__ import annotations

MEMBER_FACING = False


def _en(**texts: str) -> dict[str, dict[str, str]]:
    """{"foreman.<name>": {"en": text}} for each keyword (dots spelled as "__")."""
    return {f"foreman.{name.replace('__', '.')}": {"en": text} for name, text in texts.items()}


STRINGS: dict[str, dict[str, str]] = _en(
    title__home="Branch",
    title__group="Group",
    title__new_group="New group",
    title__setup="Group set-up",
    title__new_member="New member",
    # a group's months (its page)
    months="Months drawn",
    month_line="Month {month}: ticket {ticket} ({name}), {how}, discount {discount}; prize "
    "{prize} ({paid}); each ticket's share {share}; next instalment {next}",
    by_lot="drawn by lot",
    by_bid="highest bid",
    prize_paid="paid",
    prize_unpaid="not paid yet",
    # home
    device="This device: {role} ({device_key}…)",
    groups="Groups",
    group="Group",
    run_meeting="Run meeting",
    new_group="New group",
    new_member="New member",
    setup="Set up",
    today="Today's meetings",
    today__none="No meeting is due today.",
    kyc_pending="{count} members wait for KYC approval",
    total__pool="Money in the pools",
    total__collected="Collected this month",
    total__defaults="Open defaults",
    total__members="Members",
    progress__month="Month {month} of {months}",
    progress__forming="Forming: {signed} of {holders} signed",
    progress__closed="Closed after {months} months",
    health=(
        "Pool {pool} · {paid} of {tickets} tickets paid · {defaults} in default"
        " · commission {commission}"
    ),
    lease__held="This device runs this group's meetings (lease term {term}).",
    lease__on_demand="This device will take the group's lease at the first meeting act.",
    lease__elsewhere="Another device holds this group's lease.",
    lease__election="The group's devices must elect one before a meeting.",
    lease__not_elector="This device may not run this group's meetings.",
    meeting__none="No draw to hold.",
    meeting__open="Month {month}'s meeting is on now.",
    meeting__today="Month {month}'s draw is today.",
    meeting__overdue="Month {month}'s draw was due on {day}.",
    meeting__later="Month {month}'s draw is on {day}.",
    # one group
    terms="Chit value {value}, {tickets} tickets; first instalment {instalment}",
    agreement__published="Agreement published (terms {hash}…).",
    agreement__none="Agreement not published yet.",
    unsigned="Still to sign: {members}",
    ticket="Ticket {ticket}: {name} ({member})",
    arrears="Owes {amount}",
    free_tickets="Tickets without a holder: {tickets}",
    # a new group
    form__hint=(
        "Type the agreement's terms: amounts in rupees, rates in percent."
        " Preview them before you create the group."
    ),
    form__group_id="Group number (e.g. UDP-2026-01)",
    form__name="Group name",
    form__chit_value="Chit value (₹)",
    form__tickets="Tickets (= months)",
    form__commission_pct="Foreman's commission (%)",
    form__max_discount_pct="Highest discount (%)",
    form__min_discount="Lowest discount (₹; blank: the usual)",
    form__bid_increment="Bid step (₹)",
    form__meeting_day="Meeting day of the month (1-28)",
    form__commission_mode="Commission taken",
    form__first_month="First month's prize",
    form__dividend_to="Share of discount goes to",
    form__preview="Preview",
    form__create="Create group",
    form__required="Fill this in.",
    form__bad_percent="A percentage from 0 to 100, like 5 or 4.5.",
    form__bad_whole="A whole number.",
    form__bad_day="A day from 1 to 28.",
    commission_mode__from_discount="out of the discount",
    commission_mode__from_prize="out of the prize",
    commission_mode__on_top="on top of each instalment",
    first_month__auction="by auction",
    first_month__lot="by lot",
    first_month__foreman_ticket="to the foreman's ticket (ticket 1)",
    dividend_to__all="every ticket",
    dividend_to__others="every ticket but the month's winner",
    form__consent="Members agree (agreement, bids, minutes, draw)",
    consent__signed__v1="only by signing on their own phone",
    consent__as_before="as before: staff may record it for members without a paired phone",
    preview__value="Chit value {value}, {tickets} tickets, {tickets} months.",
    preview__instalment="Instalment {subscription} a month; the first month {amount}.",
    preview__commission="Commission {rate} ({mode}): {amount} a month, {total} over the group.",
    preview__discount="Bids from {low} to {high} ({rate}), in steps of {step}.",
    preview__prize="A month's prize: from {low} (highest discount) to {high}.",
    preview__ceiling="The branch's ceiling on the discount is {rate}.",
    preview__consent_signed=(
        "Members sign for themselves: the agreement, every bid, the minutes and the draw"
        " count only when the member signs on their own paired phone. Nobody at the office"
        " can agree for a member. Pair each member's phone before they sign the agreement."
        " This cannot be switched off for this group."
    ),
    preview__consent_by_branch="The branch requires this for every new group.",
    preview__consent_as_before=(
        "As in older groups: staff may record the agreement, bids and minutes of members"
        " without a paired phone; members with a paired phone sign on it. Choose"
        ' "only by signing on their own phone" so that no one can agree for a member.'
    ),
    # set-up of a forming group
    setup__count="{assigned} of {tickets} tickets have a holder.",
    setup__ticket="Ticket",
    setup__member="Member",
    setup__candidate="{member} {name} (KYC {kyc})",
    setup__assign="Give ticket",
    setup__many="Or member numbers for the free tickets, in order (M001, M002, ...)",
    setup__assign_many="Give in order",
    setup__not_member="A number here is no member's: register the member first.",
    setup__too_many="More member numbers than free tickets.",
    setup__hash="Agreement terms {hash}…",
    setup__publish="Send for signing",
    setup__published="Sent for signing",
    setup__signed="{signed} of {holders} holders have signed (from their phones).",
    setup__has_signed="Signed",
    setup__not_signed="Not signed yet",
    setup__start="Start group",
    setup__consent_signed="Members sign for themselves in this group, on their own phones.",
    setup__unpaired="No paired phone yet: {members}. Pair their phones (Phones → Member keys)"
    " before they sign the agreement.",
    # a new member
    member__hint=(
        "Full PAN, account and phone numbers are sealed to the branch's staff key;"
        " the log keeps only their last digits."
    ),
    member__member_id="Member number",
    member__name="Name (as on the PAN card)",
    member__pan="PAN",
    member__bank_account="Bank account number",
    member__ifsc="IFSC",
    member__phone="Mobile number",
    member__pin="App PIN ({digits} digits)",
    member__pin_again="App PIN again",
    member__pin_mismatch="The two PINs differ.",
    member__approve="KYC documents checked: approve now",
    member__register="Register member",
    member__pending="KYC waiting for approval",
    member__pending_none="No KYC is waiting for approval.",
    member__pending_line="{member} {name}: PAN {pan}, mobile {phone}",
    member__approve_one="Approve KYC",
    member__done="{member} {name} is registered, KYC recorded and the app PIN set.",
)
