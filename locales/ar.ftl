private-only = 🔒 أعمل فقط في المحادثة الخاصة. افتح محادثة معي لتصلك إشعارات CompuCar.
welcome-back =
    👋 مرحبًا بعودتك، { $name }!

    ستصلك رسالة هنا كلما تغيّر أحد ملفاتك أو طلباتك.

    /files – آخر ملفاتك
    /orders – آخر طلباتك
    /settings – الإشعارات
    /help – كل الأوامر
not-linked =
    👋 مرحبًا بك في CompuCar!

    اربط حسابك في الموقع لتصلك رسالة هنا عند تغيّر ملفات ECU أو طلباتك:

    1. أرسل <code>/link your@email.com</code> (البريد الإلكتروني لحسابك في CompuCar)
    2. سنرسل لك رمزًا من 6 أرقام بالبريد: أرسله هنا.

    أو افتح رابط تيليغرام من صفحة حسابك في الموقع.
not-linked-quick =
    👋 مرحبًا بك في CompuCar!

    أرسل <code>/link your@email.com</code> مع البريد الإلكتروني لحسابك في CompuCar لتصلك الإشعارات هنا.
link-usage = أرسل <code>/link your@email.com</code> مع البريد الإلكتروني لحسابك في CompuCar.
code-sent = 📧 إذا كان هذا البريد مسجّلًا في CompuCar فقد أرسلنا إليه رمزًا من 6 أرقام. أرسل الرمز هنا (صالح لمدة 10 دقائق).
rate-limited = ⏳ طلبات ربط كثيرة جدًا. انتظر ساعة ثم حاول مجددًا.
verify-usage = أرسل الرمز المكوّن من 6 أرقام الموجود في البريد، مثل <code>/verify 123456</code>.
no-code = لا يوجد رمز بانتظار هذه المحادثة. أرسل أولًا <code>/link your@email.com</code>.
wrong-code =
    { $left ->
        [zero] ❌ الرمز غير صحيح. لم تتبقّ أي محاولة.
        [one] ❌ الرمز غير صحيح. تبقّت محاولة واحدة.
        [two] ❌ الرمز غير صحيح. تبقّت محاولتان.
        [few] ❌ الرمز غير صحيح. تبقّت { $left } محاولات.
        [many] ❌ الرمز غير صحيح. تبقّت { $left } محاولة.
       *[other] ❌ الرمز غير صحيح. تبقّت { $left } محاولة.
    }
burned = ❌ رموز خاطئة كثيرة. أرسل <code>/link your@email.com</code> للحصول على رمز جديد.
linked =
    ✅ تم ربط حسابك في تيليغرام بـ CompuCar!

    👋 مرحبًا { $name }. ستصلك رسالة هنا كلما تغيّر أحد ملفاتك أو طلباتك.
moved-away = ℹ️ تم ربط حسابك في CompuCar بمحادثة تيليغرام أخرى. لن تصل الإشعارات إلى هذه المحادثة بعد الآن.
too-many-tries = ❌ رموز خاطئة كثيرة لهذا البريد. انتظر ساعة، أو افتح رابط تيليغرام من صفحة حسابك في الموقع.
quick-link-done = 🔗 إذا كان هذا البريد لحساب CompuCar لا تستخدمه محادثة تيليغرام أخرى، فقد تم ربط هذه المحادثة به: أرسل /files لرؤية ملفاتك.
chat-already-linked = هذه المحادثة مربوطة بحساب CompuCar. أرسل /unlink أولًا لربط حساب آخر.
relink-confirm =
    ⚠️ هذا الرابط لحساب CompuCar آخر: <b>{ $account }</b>.

    هذه المحادثة مربوطة بحسابك الحالي. هل تريد ربطها بـ { $account }؟ لن تصل إشعارات حسابك الحالي إلى هنا بعد ذلك.
relink-yes = نعم، بدّل
relink-no = لا، احتفظ بحسابي
chat-linked-elsewhere = ❌ حساب تيليغرام هذا مربوط بحساب CompuCar آخر. أرسل /unlink أولًا.
account-linked-elsewhere = ❌ حساب CompuCar هذا مربوط بحساب تيليغرام آخر.
coming-soon = 🚧 إشعارات تيليغرام غير متاحة لحسابك في CompuCar بعد: نفتحها للعملاء تدريجيًا. يُرجى المحاولة مرة أخرى بعد بضعة أسابيع.
bad-token = ❌ انتهت صلاحية هذا الرابط أو استُخدم من قبل. افتح رابطًا جديدًا من صفحة حسابك في الموقع.
need-link = 🔗 اربط حسابك في CompuCar أولًا: أرسل <code>/link your@email.com</code>.
unlink-confirm = هل تريد إيقاف إشعارات CompuCar في هذه المحادثة؟
unlink-yes = نعم، إلغاء الربط
unlink-no = إلغاء
unlinked = ✅ تم إلغاء الربط. لن تصلك الإشعارات هنا بعد الآن. يمكنك الربط مجددًا في أي وقت عبر /link.
unlink-cancelled = 👍 لم يتغيّر شيء.
files-title = 📁 آخر ملفاتك
files-empty = 📁 لا توجد لديك ملفات بعد. ارفع ملفًا في الموقع وسأبقيك على اطلاع.
orders-title = 🛒 آخر طلباتك
orders-empty = 🛒 لا توجد لديك طلبات بعد.
eta =
    { $minutes ->
        [zero] ⏰ { $minutes } دقيقة
        [one] ⏰ دقيقة واحدة
        [two] ⏰ دقيقتان
        [few] ⏰ { $minutes } دقائق
        [many] ⏰ { $minutes } دقيقة
       *[other] ⏰ { $minutes } دقيقة
    }
uploaded = 📅
tracking = 🚚
view-all-files = 🔗 كل ملفاتك
view-all-orders = 🔗 كل طلباتك
settings-title =
    ⚙️ إعدادات الإشعارات
    اضغط لتشغيل نوع من الإشعارات أو إيقافه.
kind-files = الملفات
kind-orders = الطلبات
kind-payments = المدفوعات
kind-announcements = الإعلانات
quiet = 🌙 صامت ليلًا (22:00–07:00)
language = 🌐 اللغة
saved = تم الحفظ
support = 🆘 دعم CompuCar
support-none = 🆘 تواصل معنا عبر الموقع.
help =
    ℹ️ ما يمكنني فعله:

    /start – البدء
    /link email – ربط حسابك في CompuCar
    /verify code – إكمال الربط بالرمز المرسل
    /files – آخر ملفاتك
    /orders – آخر طلباتك
    /settings – الإشعارات والساعات الهادئة واللغة
    /support – التواصل معنا
    /unlink – إيقاف الإشعارات هنا
    /help – هذه القائمة
slow-down = 🐢 رسائل كثيرة دفعة واحدة: تجاهلت بعضها. انتظر ردودي ثم أعد الإرسال.
unknown = 🤔 لم أفهم ذلك. أرسل /help لترى ما يمكنني فعله.
error = ⚠️ حدث خطأ من جهتنا. حاول مجددًا بعد دقيقة.
command-start = البدء
command-files = آخر ملفاتك
command-orders = آخر طلباتك
command-settings = إعدادات الإشعارات
command-support = التواصل مع الدعم
command-link = ربط حسابك
command-unlink = إيقاف الإشعارات
command-help = كل الأوامر

file-label-RECEIVED = 📥 مستلم
file-label-PENDING = ⏳ قيد المعالجة
file-label-READY = ✅ جاهز
order-label-PENDING = 🕒 قيد الانتظار
order-label-CONFIRMED = ✅ مؤكد
order-label-PROCESSING = 📦 قيد التجهيز
order-label-SHIPPED = 🚚 تم الشحن
order-label-DELIVERED = 🏁 تم التسليم
order-label-CANCELLED = ❌ ملغى
order-label-REFUNDED = ↩️ مسترد
file-word-RECEIVED = مستلم
file-word-PENDING = قيد المعالجة
file-word-READY = جاهز
order-word-CONFIRMED = مؤكد
order-word-PROCESSING = قيد التجهيز
order-word-SHIPPED = تم الشحن
order-word-DELIVERED = تم التسليم
order-word-CANCELLED = ملغى
order-word-REFUNDED = مسترد
order-word-DISPATCHED = في الطريق

## الإشعارات (src/notifier/render.ts). الرابط هو زر الرسالة فقط.
notify-file-uploaded = 📥 تم استلام الملف
notify-file-pending = ⏳ بدأت المعالجة
notify-file-ready = ✅ الملف جاهز للتحميل
notify-file-status = 📥 تحديث حالة الملف
notify-file-eta = ⏰ تم تحديث الوقت المقدر
notify-file-comment = 💬 تعليق جديد من فريقنا
notify-payment = 💳 تم استلام الدفع
notify-order-status = 🛒 تحديث الطلب
notify-order-shipping = 🚚 تحديث الشحن
notify-file = 📄 الملف: { $label }
notify-order = 🧾 الطلب: { $label }
notify-status = 📊 الحالة: { $status }
notify-says-RECEIVED = 💬 التحديث: تم استلام ملفك وهو في انتظار فريقنا.
notify-says-PENDING = 💬 التحديث: فريقنا يعالج ملفك الآن.
notify-says-READY = 💬 التحديث: ملفك المعدل جاهز. يمكنك تحميله من حسابك.
notify-says-file-paid = 💬 التحديث: استلمنا دفعتك لهذا الملف. شكرًا لك!
notify-says-order-paid = 💬 التحديث: استلمنا دفعتك لهذا الطلب. شكرًا لك!
notify-eta =
    { $minutes ->
        [zero] ⏰ الوقت المقدر: { $minutes } دقيقة
        [one] ⏰ الوقت المقدر: دقيقة واحدة
        [two] ⏰ الوقت المقدر: دقيقتان
        [few] ⏰ الوقت المقدر: { $minutes } دقائق
        [many] ⏰ الوقت المقدر: { $minutes } دقيقة
       *[other] ⏰ الوقت المقدر: { $minutes } دقيقة
    }
notify-comment = 💬 التعليق:
notify-tracking = 🚚 رقم التتبع: { $tracking }
notify-cod = 💵 الدفع عند الاستلام: { $status }
notify-updated = 🕐 آخر تحديث: { $time } ({ $zone })
notify-view-files = 🔗 عرض ملفاتك
notify-view-order = 🔗 عرض طلبك
notify-test = 🧪 رسالة تجريبية
notify-test-body = تصل إشعارات CompuCar إلى هذه المحادثة. لا حاجة لأي إجراء.
notify-sent = 🕐 أُرسلت: { $time } ({ $zone })
notify-broadcast = 📢 رسالة من CompuCar
notify-open-site = 🔗 زيارة CompuCar

# The bot's profile (set at start): what a customer sees before pressing Start (at most 512 characters), and the short description of its profile page and shared links (at most 120).
bot-description =
    بوت عملاء CompuCar: تصلك رسالة هنا فور تغيّر أحد ملفات ECU أو طلباتك: استلام الملف، بدء المعالجة مع الوقت المقدّر، جاهزية الملف للتنزيل، تعليق من فريقنا، استلام الدفع، تأكيد الطلب أو شحنه.

    ابدأ المحادثة، ثم أرسل /link مع البريد الإلكتروني لحسابك في compucar.pro لربطه.
bot-short-description = CompuCar: ملفات ECU وطلباتك على تيليجرام، فور تغيّر حالتها.
