import type { Locale } from "../format.ts";

/** Everything the bot says, in the three languages of the website. */
export const MESSAGES = {
  en: {
    privateOnly:
      "🔒 I only work in a private chat. Open a chat with me to get your CompuCar notifications.",
    welcomeBack: (name: string) =>
      `👋 Welcome back, ${name}!\n\nYou will get a message here whenever one of your files or orders changes.\n\n/files – your latest files\n/orders – your latest orders\n/settings – notifications\n/help – all commands`,
    notLinked:
      "👋 Welcome to CompuCar!\n\nLink your website account to get a message here when your ECU files or orders change:\n\n1. Send <code>/link your@email.com</code> (the email of your CompuCar account)\n2. We email you a 6-digit code: send it here.\n\nOr open the Telegram link from your account page on the website.",
    notLinkedQuick:
      "👋 Welcome to CompuCar!\n\nSend <code>/link your@email.com</code> with the email of your CompuCar account to get notifications here.",
    linkUsage: "Send <code>/link your@email.com</code> with the email of your CompuCar account.",
    codeSent:
      "📧 If this email belongs to a CompuCar account, we have sent a 6-digit code to it. Send the code here (it is valid for 10 minutes).",
    rateLimited: "⏳ Too many link requests. Please wait an hour and try again.",
    verifyUsage: "Send the 6-digit code from the email, for example <code>/verify 123456</code>.",
    noCode: "There is no code waiting for this chat. Send <code>/link your@email.com</code> first.",
    wrongCode: (left: number) =>
      `❌ That code is not right. ${left} tr${left === 1 ? "y" : "ies"} left.`,
    burned: "❌ Too many wrong codes. Send <code>/link your@email.com</code> to get a new one.",
    linked: (name: string) =>
      `✅ Your Telegram account is now linked to CompuCar!\n\n👋 Welcome, ${name}. You will get a message here whenever one of your files or orders changes.`,
    movedAway:
      "ℹ️ Your CompuCar account was linked to another Telegram chat. This chat will no longer get notifications.",
    tooManyTries:
      "❌ Too many wrong codes for this email. Please wait an hour, or open the Telegram link from your account page on the website.",
    quickLinkDone:
      "🔗 If this email belongs to a CompuCar account that no other Telegram chat uses, this chat is now linked to it: send /files to see your files.",
    chatAlreadyLinked:
      "This chat is already linked to a CompuCar account. Send /unlink first to link another one.",
    relinkConfirm: (account: string) =>
      `⚠️ This link is for another CompuCar account: <b>${account}</b>.\n\nThis chat is linked to your current account. Switch this chat to ${account}? Your current account will stop getting notifications here.`,
    relinkYes: "Yes, switch",
    relinkNo: "No, keep my account",
    chatLinkedElsewhere:
      "❌ This Telegram account is already linked to another CompuCar account. Send /unlink first.",
    accountLinkedElsewhere:
      "❌ This CompuCar account is already linked to another Telegram account.",
    badToken:
      "❌ This link has expired or was already used. Open a new one from your account page on the website.",
    needLink: "🔗 Link your CompuCar account first: send <code>/link your@email.com</code>.",
    unlinkConfirm: "Do you want to stop receiving CompuCar notifications in this chat?",
    unlinkYes: "Yes, unlink",
    unlinkNo: "Cancel",
    unlinked:
      "✅ Unlinked. You will not get notifications here any more. You can link again at any time with /link.",
    unlinkCancelled: "👍 Nothing changed.",
    filesTitle: "📁 Your latest files",
    filesEmpty: "📁 You have no files yet. Upload one on the website and I will keep you posted.",
    ordersTitle: "🛒 Your latest orders",
    ordersEmpty: "🛒 You have no orders yet.",
    eta: (n: number) => `⏰ ${n} min`,
    uploaded: "📅",
    tracking: "🚚",
    viewAllFiles: "🔗 All your files",
    viewAllOrders: "🔗 All your orders",
    settingsTitle: "⚙️ Notification settings\nTap to turn a kind of notification on or off.",
    kind: { files: "Files", orders: "Orders", payments: "Payments" },
    quiet: "🌙 Quiet at night (22:00–07:00)",
    language: "🌐 Language",
    saved: "Saved",
    support: "🆘 CompuCar support",
    supportNone: "🆘 Contact us through the website.",
    help: "ℹ️ What I can do:\n\n/start – start or welcome back\n/link email – link your CompuCar account\n/verify code – finish linking with the emailed code\n/files – your latest files\n/orders – your latest orders\n/settings – notifications, quiet hours, language\n/support – how to reach us\n/unlink – stop notifications here\n/help – this list",
    slowDown:
      "🐢 Too many messages at once: I skipped some. Please wait for my answers, then send again.",
    unknown: "🤔 I did not understand that. Send /help to see what I can do.",
    error: "⚠️ Something went wrong on our side. Please try again in a minute.",
    commands: {
      start: "Start",
      files: "Your latest files",
      orders: "Your latest orders",
      settings: "Notification settings",
      support: "Contact support",
      link: "Link your account",
      unlink: "Stop notifications",
      help: "All commands",
    },
  },
  fr: {
    privateOnly:
      "🔒 Je fonctionne uniquement en conversation privée. Ouvrez une conversation avec moi pour recevoir vos notifications CompuCar.",
    welcomeBack: (name: string) =>
      `👋 Bon retour, ${name} !\n\nVous recevrez un message ici dès qu'un de vos fichiers ou commandes change.\n\n/files – vos derniers fichiers\n/orders – vos dernières commandes\n/settings – notifications\n/help – toutes les commandes`,
    notLinked:
      "👋 Bienvenue chez CompuCar !\n\nLiez votre compte du site pour être prévenu ici quand vos fichiers ECU ou vos commandes changent :\n\n1. Envoyez <code>/link votre@email.com</code> (l'email de votre compte CompuCar)\n2. Nous vous envoyons un code à 6 chiffres par email : envoyez-le ici.\n\nOu ouvrez le lien Telegram depuis votre compte sur le site.",
    notLinkedQuick:
      "👋 Bienvenue chez CompuCar !\n\nEnvoyez <code>/link votre@email.com</code> avec l'email de votre compte CompuCar pour recevoir vos notifications ici.",
    linkUsage: "Envoyez <code>/link votre@email.com</code> avec l'email de votre compte CompuCar.",
    codeSent:
      "📧 Si cet email correspond à un compte CompuCar, nous y avons envoyé un code à 6 chiffres. Envoyez le code ici (valable 10 minutes).",
    rateLimited: "⏳ Trop de demandes de liaison. Attendez une heure puis réessayez.",
    verifyUsage:
      "Envoyez le code à 6 chiffres reçu par email, par exemple <code>/verify 123456</code>.",
    noCode:
      "Aucun code n'attend pour cette conversation. Envoyez d'abord <code>/link votre@email.com</code>.",
    wrongCode: (left: number) =>
      `❌ Ce code n'est pas le bon. Encore ${left} essai${left === 1 ? "" : "s"}.`,
    burned:
      "❌ Trop de codes erronés. Envoyez <code>/link votre@email.com</code> pour en recevoir un nouveau.",
    linked: (name: string) =>
      `✅ Votre compte Telegram est maintenant lié à CompuCar !\n\n👋 Bienvenue, ${name}. Vous recevrez un message ici dès qu'un de vos fichiers ou commandes change.`,
    movedAway:
      "ℹ️ Votre compte CompuCar a été lié à une autre conversation Telegram. Cette conversation ne recevra plus de notifications.",
    tooManyTries:
      "❌ Trop de codes erronés pour cet email. Attendez une heure, ou ouvrez le lien Telegram depuis votre compte sur le site.",
    quickLinkDone:
      "🔗 Si cet email correspond à un compte CompuCar qu'aucune autre conversation Telegram n'utilise, cette conversation y est maintenant liée : envoyez /files pour voir vos fichiers.",
    chatAlreadyLinked:
      "Cette conversation est déjà liée à un compte CompuCar. Envoyez d'abord /unlink pour en lier un autre.",
    relinkConfirm: (account: string) =>
      `⚠️ Ce lien est destiné à un autre compte CompuCar : <b>${account}</b>.\n\nCette conversation est liée à votre compte actuel. La lier à ${account} ? Votre compte actuel ne recevra plus de notifications ici.`,
    relinkYes: "Oui, changer",
    relinkNo: "Non, garder mon compte",
    chatLinkedElsewhere:
      "❌ Ce compte Telegram est déjà lié à un autre compte CompuCar. Envoyez d'abord /unlink.",
    accountLinkedElsewhere: "❌ Ce compte CompuCar est déjà lié à un autre compte Telegram.",
    badToken:
      "❌ Ce lien a expiré ou a déjà été utilisé. Ouvrez-en un nouveau depuis votre compte sur le site.",
    needLink: "🔗 Liez d'abord votre compte CompuCar : envoyez <code>/link votre@email.com</code>.",
    unlinkConfirm:
      "Voulez-vous arrêter de recevoir les notifications CompuCar dans cette conversation ?",
    unlinkYes: "Oui, délier",
    unlinkNo: "Annuler",
    unlinked:
      "✅ Compte délié. Vous ne recevrez plus de notifications ici. Vous pouvez le lier à nouveau avec /link.",
    unlinkCancelled: "👍 Rien n'a changé.",
    filesTitle: "📁 Vos derniers fichiers",
    filesEmpty:
      "📁 Vous n'avez pas encore de fichier. Envoyez-en un sur le site et je vous tiendrai au courant.",
    ordersTitle: "🛒 Vos dernières commandes",
    ordersEmpty: "🛒 Vous n'avez pas encore de commande.",
    eta: (n: number) => `⏰ ${n} min`,
    uploaded: "📅",
    tracking: "🚚",
    viewAllFiles: "🔗 Tous vos fichiers",
    viewAllOrders: "🔗 Toutes vos commandes",
    settingsTitle:
      "⚙️ Réglages des notifications\nTouchez pour activer ou couper un type de notification.",
    kind: { files: "Fichiers", orders: "Commandes", payments: "Paiements" },
    quiet: "🌙 Silencieux la nuit (22:00–07:00)",
    language: "🌐 Langue",
    saved: "Enregistré",
    support: "🆘 Support CompuCar",
    supportNone: "🆘 Contactez-nous via le site.",
    help: "ℹ️ Ce que je sais faire :\n\n/start – démarrer\n/link email – lier votre compte CompuCar\n/verify code – terminer la liaison avec le code reçu\n/files – vos derniers fichiers\n/orders – vos dernières commandes\n/settings – notifications, heures calmes, langue\n/support – nous contacter\n/unlink – arrêter les notifications ici\n/help – cette liste",
    slowDown:
      "🐢 Trop de messages à la fois : j'en ai ignoré certains. Attendez mes réponses, puis renvoyez.",
    unknown: "🤔 Je n'ai pas compris. Envoyez /help pour voir ce que je sais faire.",
    error: "⚠️ Un problème est survenu de notre côté. Réessayez dans une minute.",
    commands: {
      start: "Démarrer",
      files: "Vos derniers fichiers",
      orders: "Vos dernières commandes",
      settings: "Réglages des notifications",
      support: "Contacter le support",
      link: "Lier votre compte",
      unlink: "Arrêter les notifications",
      help: "Toutes les commandes",
    },
  },
  ar: {
    privateOnly: "🔒 أعمل فقط في المحادثة الخاصة. افتح محادثة معي لتصلك إشعارات CompuCar.",
    welcomeBack: (name: string) =>
      `👋 مرحبًا بعودتك، ${name}!\n\nستصلك رسالة هنا كلما تغيّر أحد ملفاتك أو طلباتك.\n\n/files – آخر ملفاتك\n/orders – آخر طلباتك\n/settings – الإشعارات\n/help – كل الأوامر`,
    notLinked:
      "👋 مرحبًا بك في CompuCar!\n\nاربط حسابك في الموقع لتصلك رسالة هنا عند تغيّر ملفات ECU أو طلباتك:\n\n1. أرسل <code>/link your@email.com</code> (البريد الإلكتروني لحسابك في CompuCar)\n2. سنرسل لك رمزًا من 6 أرقام بالبريد: أرسله هنا.\n\nأو افتح رابط تيليغرام من صفحة حسابك في الموقع.",
    notLinkedQuick:
      "👋 مرحبًا بك في CompuCar!\n\nأرسل <code>/link your@email.com</code> مع البريد الإلكتروني لحسابك في CompuCar لتصلك الإشعارات هنا.",
    linkUsage: "أرسل <code>/link your@email.com</code> مع البريد الإلكتروني لحسابك في CompuCar.",
    codeSent:
      "📧 إذا كان هذا البريد مسجّلًا في CompuCar فقد أرسلنا إليه رمزًا من 6 أرقام. أرسل الرمز هنا (صالح لمدة 10 دقائق).",
    rateLimited: "⏳ طلبات ربط كثيرة جدًا. انتظر ساعة ثم حاول مجددًا.",
    verifyUsage: "أرسل الرمز المكوّن من 6 أرقام الموجود في البريد، مثل <code>/verify 123456</code>.",
    noCode: "لا يوجد رمز بانتظار هذه المحادثة. أرسل أولًا <code>/link your@email.com</code>.",
    wrongCode: (left: number) => `❌ الرمز غير صحيح. تبقّى ${left} محاولة.`,
    burned: "❌ رموز خاطئة كثيرة. أرسل <code>/link your@email.com</code> للحصول على رمز جديد.",
    linked: (name: string) =>
      `✅ تم ربط حسابك في تيليغرام بـ CompuCar!\n\n👋 مرحبًا ${name}. ستصلك رسالة هنا كلما تغيّر أحد ملفاتك أو طلباتك.`,
    movedAway:
      "ℹ️ تم ربط حسابك في CompuCar بمحادثة تيليغرام أخرى. لن تصل الإشعارات إلى هذه المحادثة بعد الآن.",
    tooManyTries:
      "❌ رموز خاطئة كثيرة لهذا البريد. انتظر ساعة، أو افتح رابط تيليغرام من صفحة حسابك في الموقع.",
    quickLinkDone:
      "🔗 إذا كان هذا البريد لحساب CompuCar لا تستخدمه محادثة تيليغرام أخرى، فقد تم ربط هذه المحادثة به: أرسل /files لرؤية ملفاتك.",
    chatAlreadyLinked: "هذه المحادثة مربوطة بحساب CompuCar. أرسل /unlink أولًا لربط حساب آخر.",
    relinkConfirm: (account: string) =>
      `⚠️ هذا الرابط لحساب CompuCar آخر: <b>${account}</b>.\n\nهذه المحادثة مربوطة بحسابك الحالي. هل تريد ربطها بـ ${account}؟ لن تصل إشعارات حسابك الحالي إلى هنا بعد ذلك.`,
    relinkYes: "نعم، بدّل",
    relinkNo: "لا، احتفظ بحسابي",
    chatLinkedElsewhere: "❌ حساب تيليغرام هذا مربوط بحساب CompuCar آخر. أرسل /unlink أولًا.",
    accountLinkedElsewhere: "❌ حساب CompuCar هذا مربوط بحساب تيليغرام آخر.",
    badToken:
      "❌ انتهت صلاحية هذا الرابط أو استُخدم من قبل. افتح رابطًا جديدًا من صفحة حسابك في الموقع.",
    needLink: "🔗 اربط حسابك في CompuCar أولًا: أرسل <code>/link your@email.com</code>.",
    unlinkConfirm: "هل تريد إيقاف إشعارات CompuCar في هذه المحادثة؟",
    unlinkYes: "نعم، إلغاء الربط",
    unlinkNo: "إلغاء",
    unlinked:
      "✅ تم إلغاء الربط. لن تصلك الإشعارات هنا بعد الآن. يمكنك الربط مجددًا في أي وقت عبر /link.",
    unlinkCancelled: "👍 لم يتغيّر شيء.",
    filesTitle: "📁 آخر ملفاتك",
    filesEmpty: "📁 لا توجد لديك ملفات بعد. ارفع ملفًا في الموقع وسأبقيك على اطلاع.",
    ordersTitle: "🛒 آخر طلباتك",
    ordersEmpty: "🛒 لا توجد لديك طلبات بعد.",
    eta: (n: number) => `⏰ ${n} دقيقة`,
    uploaded: "📅",
    tracking: "🚚",
    viewAllFiles: "🔗 كل ملفاتك",
    viewAllOrders: "🔗 كل طلباتك",
    settingsTitle: "⚙️ إعدادات الإشعارات\nاضغط لتشغيل نوع من الإشعارات أو إيقافه.",
    kind: { files: "الملفات", orders: "الطلبات", payments: "المدفوعات" },
    quiet: "🌙 صامت ليلًا (22:00–07:00)",
    language: "🌐 اللغة",
    saved: "تم الحفظ",
    support: "🆘 دعم CompuCar",
    supportNone: "🆘 تواصل معنا عبر الموقع.",
    help: "ℹ️ ما يمكنني فعله:\n\n/start – البدء\n/link email – ربط حسابك في CompuCar\n/verify code – إكمال الربط بالرمز المرسل\n/files – آخر ملفاتك\n/orders – آخر طلباتك\n/settings – الإشعارات والساعات الهادئة واللغة\n/support – التواصل معنا\n/unlink – إيقاف الإشعارات هنا\n/help – هذه القائمة",
    slowDown: "🐢 رسائل كثيرة دفعة واحدة: تجاهلت بعضها. انتظر ردودي ثم أعد الإرسال.",
    unknown: "🤔 لم أفهم ذلك. أرسل /help لترى ما يمكنني فعله.",
    error: "⚠️ حدث خطأ من جهتنا. حاول مجددًا بعد دقيقة.",
    commands: {
      start: "البدء",
      files: "آخر ملفاتك",
      orders: "آخر طلباتك",
      settings: "إعدادات الإشعارات",
      support: "التواصل مع الدعم",
      link: "ربط حسابك",
      unlink: "إيقاف الإشعارات",
      help: "كل الأوامر",
    },
  },
} as const;

export type Messages = (typeof MESSAGES)[Locale];
