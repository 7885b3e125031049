private-only = 🔒 I only work in a private chat. Open a chat with me to get your CompuCar notifications.
welcome-back =
    👋 Welcome back, { $name }!

    You will get a message here whenever one of your files or orders changes.

    /files – your latest files
    /orders – your latest orders
    /settings – notifications
    /help – all commands
not-linked =
    👋 Welcome to CompuCar!

    Link your website account to get a message here when your ECU files or orders change:

    1. Send <code>/link your@email.com</code> (the email of your CompuCar account)
    2. We email you a 6-digit code: send it here.

    Or open the Telegram link from your account page on the website.
not-linked-quick =
    👋 Welcome to CompuCar!

    Send <code>/link your@email.com</code> with the email of your CompuCar account to get notifications here.
link-usage = Send <code>/link your@email.com</code> with the email of your CompuCar account.
code-sent = 📧 If this email belongs to a CompuCar account, we have sent a 6-digit code to it. Send the code here (it is valid for 10 minutes).
rate-limited = ⏳ Too many link requests. Please wait an hour and try again.
verify-usage = Send the 6-digit code from the email, for example <code>/verify 123456</code>.
no-code = There is no code waiting for this chat. Send <code>/link your@email.com</code> first.
wrong-code =
    { $left ->
        [one] ❌ That code is not right. { $left } try left.
       *[other] ❌ That code is not right. { $left } tries left.
    }
burned = ❌ Too many wrong codes. Send <code>/link your@email.com</code> to get a new one.
linked =
    ✅ Your Telegram account is now linked to CompuCar!

    👋 Welcome, { $name }. You will get a message here whenever one of your files or orders changes.
moved-away = ℹ️ Your CompuCar account was linked to another Telegram chat. This chat will no longer get notifications.
too-many-tries = ❌ Too many wrong codes for this email. Please wait an hour, or open the Telegram link from your account page on the website.
quick-link-done = 🔗 If this email belongs to a CompuCar account that no other Telegram chat uses, this chat is now linked to it: send /files to see your files.
chat-already-linked = This chat is already linked to a CompuCar account. Send /unlink first to link another one.
relink-confirm =
    ⚠️ This link is for another CompuCar account: <b>{ $account }</b>.

    This chat is linked to your current account. Switch this chat to { $account }? Your current account will stop getting notifications here.
relink-yes = Yes, switch
relink-no = No, keep my account
chat-linked-elsewhere = ❌ This Telegram account is already linked to another CompuCar account. Send /unlink first.
account-linked-elsewhere = ❌ This CompuCar account is already linked to another Telegram account.
coming-soon = 🚧 Telegram notifications are not open to your CompuCar account yet: we are opening them to customers step by step. Please try again in a few weeks.
bad-token = ❌ This link has expired or was already used. Open a new one from your account page on the website.
need-link = 🔗 Link your CompuCar account first: send <code>/link your@email.com</code>.
unlink-confirm = Do you want to stop receiving CompuCar notifications in this chat?
unlink-yes = Yes, unlink
unlink-no = Cancel
unlinked = ✅ Unlinked. You will not get notifications here any more. You can link again at any time with /link.
unlink-cancelled = 👍 Nothing changed.
files-title = 📁 Your latest files
files-empty = 📁 You have no files yet. Upload one on the website and I will keep you posted.
orders-title = 🛒 Your latest orders
orders-empty = 🛒 You have no orders yet.
eta = ⏰ { $minutes } min
uploaded = 📅
tracking = 🚚
view-all-files = 🔗 All your files
view-all-orders = 🔗 All your orders
settings-title =
    ⚙️ Notification settings
    Tap to turn a kind of notification on or off.
kind-files = Files
kind-orders = Orders
kind-payments = Payments
kind-announcements = Announcements
quiet = 🌙 Quiet at night (22:00–07:00)
language = 🌐 Language
saved = Saved
support = 🆘 CompuCar support
support-none = 🆘 Contact us through the website.
help =
    ℹ️ What I can do:

    /start – start or welcome back
    /link email – link your CompuCar account
    /verify code – finish linking with the emailed code
    /files – your latest files
    /orders – your latest orders
    /settings – notifications, quiet hours, language
    /support – how to reach us
    /unlink – stop notifications here
    /help – this list
slow-down = 🐢 Too many messages at once: I skipped some. Please wait for my answers, then send again.
unknown = 🤔 I did not understand that. Send /help to see what I can do.
error = ⚠️ Something went wrong on our side. Please try again in a minute.
command-start = Start
command-files = Your latest files
command-orders = Your latest orders
command-settings = Notification settings
command-support = Contact support
command-link = Link your account
command-unlink = Stop notifications
command-help = All commands

file-label-RECEIVED = 📥 Received
file-label-PENDING = ⏳ In progress
file-label-READY = ✅ Ready
order-label-PENDING = 🕒 Pending
order-label-CONFIRMED = ✅ Confirmed
order-label-PROCESSING = 📦 Processing
order-label-SHIPPED = 🚚 Shipped
order-label-DELIVERED = 🏁 Delivered
order-label-CANCELLED = ❌ Cancelled
order-label-REFUNDED = ↩️ Refunded
file-word-RECEIVED = RECEIVED
file-word-PENDING = PENDING
file-word-READY = READY
order-word-CONFIRMED = CONFIRMED
order-word-PROCESSING = PROCESSING
order-word-SHIPPED = SHIPPED
order-word-DELIVERED = DELIVERED
order-word-CANCELLED = CANCELLED
order-word-REFUNDED = REFUNDED
order-word-DISPATCHED = DISPATCHED

## Notifications (src/notifier/render.ts). The link is the message's button only.
notify-file-uploaded = 📥 File received
notify-file-pending = ⏳ Processing started
notify-file-ready = ✅ File ready for download
notify-file-status = 📥 File status update
notify-file-eta = ⏰ Estimated time updated
notify-file-comment = 💬 New comment from our team
notify-payment = 💳 Payment received
notify-order-status = 🛒 Order update
notify-order-shipping = 🚚 Shipping update
notify-file = 📄 File: { $label }
notify-order = 🧾 Order: { $label }
notify-status = 📊 Status: { $status }
notify-says-RECEIVED = 💬 Update: Your file has been received and is waiting for our team.
notify-says-PENDING = 💬 Update: Your file is currently being processed by our team.
notify-says-READY = 💬 Update: Your tuned file is ready. You can download it from your account.
notify-says-file-paid = 💬 Update: We received your payment for this file. Thank you!
notify-says-order-paid = 💬 Update: We received your payment for this order. Thank you!
notify-eta =
    { $minutes ->
        [one] ⏰ Estimated time: { $minutes } minute
       *[other] ⏰ Estimated time: { $minutes } minutes
    }
notify-comment = 💬 Comment:
notify-tracking = 🚚 Tracking number: { $tracking }
notify-cod = 💵 Cash on delivery: { $status }
notify-updated = 🕐 Updated: { $time } ({ $zone })
notify-view-files = 🔗 View Your Files
notify-view-order = 🔗 View Your Order
notify-test = 🧪 Test message
notify-test-body = CompuCar notifications reach this chat. Nothing to do.
notify-sent = 🕐 Sent: { $time } ({ $zone })
notify-broadcast = 📢 Message from CompuCar
notify-open-site = 🔗 Visit CompuCar

# The bot's profile (set at start): what a customer sees before pressing Start (at most 512 characters), and the short description of its profile page and shared links (at most 120).
bot-description =
    CompuCar's customer bot: a message here the moment one of your ECU files or orders changes: file received, processing started with the estimated time, file ready to download, a comment from our team, payment received, order confirmed or shipped.

    Start the chat, then send /link with the email of your compucar.pro account to link it.
bot-short-description = CompuCar: your ECU files and orders on Telegram, the moment their status changes.
