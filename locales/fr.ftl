private-only = 🔒 Je fonctionne uniquement en conversation privée. Ouvrez une conversation avec moi pour recevoir vos notifications CompuCar.
welcome-back =
    👋 Bon retour, { $name } !

    Vous recevrez un message ici dès qu'un de vos fichiers ou commandes change.

    /files – vos derniers fichiers
    /orders – vos dernières commandes
    /settings – notifications
    /help – toutes les commandes
not-linked =
    👋 Bienvenue chez CompuCar !

    Liez votre compte du site pour être prévenu ici quand vos fichiers ECU ou vos commandes changent :

    1. Envoyez <code>/link votre@email.com</code> (l'email de votre compte CompuCar)
    2. Nous vous envoyons un code à 6 chiffres par email : envoyez-le ici.

    Ou ouvrez le lien Telegram depuis votre compte sur le site.
not-linked-quick =
    👋 Bienvenue chez CompuCar !

    Envoyez <code>/link votre@email.com</code> avec l'email de votre compte CompuCar pour recevoir vos notifications ici.
link-usage = Envoyez <code>/link votre@email.com</code> avec l'email de votre compte CompuCar.
code-sent = 📧 Si cet email correspond à un compte CompuCar, nous y avons envoyé un code à 6 chiffres. Envoyez le code ici (valable 10 minutes).
rate-limited = ⏳ Trop de demandes de liaison. Attendez une heure puis réessayez.
verify-usage = Envoyez le code à 6 chiffres reçu par email, par exemple <code>/verify 123456</code>.
no-code = Aucun code n'attend pour cette conversation. Envoyez d'abord <code>/link votre@email.com</code>.
wrong-code =
    { $left ->
        [one] ❌ Ce code n'est pas le bon. Encore { $left } essai.
       *[other] ❌ Ce code n'est pas le bon. Encore { $left } essais.
    }
burned = ❌ Trop de codes erronés. Envoyez <code>/link votre@email.com</code> pour en recevoir un nouveau.
linked =
    ✅ Votre compte Telegram est maintenant lié à CompuCar !

    👋 Bienvenue, { $name }. Vous recevrez un message ici dès qu'un de vos fichiers ou commandes change.
moved-away = ℹ️ Votre compte CompuCar a été lié à une autre conversation Telegram. Cette conversation ne recevra plus de notifications.
too-many-tries = ❌ Trop de codes erronés pour cet email. Attendez une heure, ou ouvrez le lien Telegram depuis votre compte sur le site.
quick-link-done = 🔗 Si cet email correspond à un compte CompuCar qu'aucune autre conversation Telegram n'utilise, cette conversation y est maintenant liée : envoyez /files pour voir vos fichiers.
chat-already-linked = Cette conversation est déjà liée à un compte CompuCar. Envoyez d'abord /unlink pour en lier un autre.
relink-confirm =
    ⚠️ Ce lien est destiné à un autre compte CompuCar : <b>{ $account }</b>.

    Cette conversation est liée à votre compte actuel. La lier à { $account } ? Votre compte actuel ne recevra plus de notifications ici.
relink-yes = Oui, changer
relink-no = Non, garder mon compte
chat-linked-elsewhere = ❌ Ce compte Telegram est déjà lié à un autre compte CompuCar. Envoyez d'abord /unlink.
account-linked-elsewhere = ❌ Ce compte CompuCar est déjà lié à un autre compte Telegram.
coming-soon = 🚧 Les notifications Telegram ne sont pas encore ouvertes à votre compte CompuCar : nous les ouvrons aux clients petit à petit. Réessayez dans quelques semaines.
bad-token = ❌ Ce lien a expiré ou a déjà été utilisé. Ouvrez-en un nouveau depuis votre compte sur le site.
need-link = 🔗 Liez d'abord votre compte CompuCar : envoyez <code>/link votre@email.com</code>.
unlink-confirm = Voulez-vous arrêter de recevoir les notifications CompuCar dans cette conversation ?
unlink-yes = Oui, délier
unlink-no = Annuler
unlinked = ✅ Compte délié. Vous ne recevrez plus de notifications ici. Vous pouvez le lier à nouveau avec /link.
unlink-cancelled = 👍 Rien n'a changé.
files-title = 📁 Vos derniers fichiers
files-empty = 📁 Vous n'avez pas encore de fichier. Envoyez-en un sur le site et je vous tiendrai au courant.
orders-title = 🛒 Vos dernières commandes
orders-empty = 🛒 Vous n'avez pas encore de commande.
eta = ⏰ { $minutes } min
uploaded = 📅
tracking = 🚚
view-all-files = 🔗 Tous vos fichiers
view-all-orders = 🔗 Toutes vos commandes
settings-title =
    ⚙️ Réglages des notifications
    Touchez pour activer ou couper un type de notification.
kind-files = Fichiers
kind-orders = Commandes
kind-payments = Paiements
kind-announcements = Annonces
quiet = 🌙 Silencieux la nuit (22:00–07:00)
language = 🌐 Langue
saved = Enregistré
support = 🆘 Support CompuCar
support-none = 🆘 Contactez-nous via le site.
help =
    ℹ️ Ce que je sais faire :

    /start – démarrer
    /link email – lier votre compte CompuCar
    /verify code – terminer la liaison avec le code reçu
    /files – vos derniers fichiers
    /orders – vos dernières commandes
    /settings – notifications, heures calmes, langue
    /support – nous contacter
    /unlink – arrêter les notifications ici
    /help – cette liste
slow-down = 🐢 Trop de messages à la fois : j'en ai ignoré certains. Attendez mes réponses, puis renvoyez.
unknown = 🤔 Je n'ai pas compris. Envoyez /help pour voir ce que je sais faire.
error = ⚠️ Un problème est survenu de notre côté. Réessayez dans une minute.
command-start = Démarrer
command-files = Vos derniers fichiers
command-orders = Vos dernières commandes
command-settings = Réglages des notifications
command-support = Contacter le support
command-link = Lier votre compte
command-unlink = Arrêter les notifications
command-help = Toutes les commandes

file-label-RECEIVED = 📥 Reçu
file-label-PENDING = ⏳ En cours
file-label-READY = ✅ Prêt
order-label-PENDING = 🕒 En attente
order-label-CONFIRMED = ✅ Confirmée
order-label-PROCESSING = 📦 En préparation
order-label-SHIPPED = 🚚 Expédiée
order-label-DELIVERED = 🏁 Livrée
order-label-CANCELLED = ❌ Annulée
order-label-REFUNDED = ↩️ Remboursée
file-word-RECEIVED = REÇU
file-word-PENDING = EN COURS
file-word-READY = PRÊT
order-word-CONFIRMED = CONFIRMÉE
order-word-PROCESSING = EN PRÉPARATION
order-word-SHIPPED = EXPÉDIÉE
order-word-DELIVERED = LIVRÉE
order-word-CANCELLED = ANNULÉE
order-word-REFUNDED = REMBOURSÉE
order-word-DISPATCHED = EN ROUTE

## Notifications (src/notifier/render.ts). Le lien est seulement le bouton du message.
notify-file-uploaded = 📥 Fichier reçu
notify-file-pending = ⏳ Traitement commencé
notify-file-ready = ✅ Fichier prêt à télécharger
notify-file-status = 📥 Mise à jour du fichier
notify-file-eta = ⏰ Délai estimé mis à jour
notify-file-comment = 💬 Nouveau commentaire de notre équipe
notify-payment = 💳 Paiement reçu
notify-order-status = 🛒 Mise à jour de la commande
notify-order-shipping = 🚚 Mise à jour de la livraison
notify-file = 📄 Fichier : { $label }
notify-order = 🧾 Commande : { $label }
notify-status = 📊 Statut : { $status }
notify-says-RECEIVED = 💬 Info : Votre fichier a été reçu et attend notre équipe.
notify-says-PENDING = 💬 Info : Votre fichier est en cours de traitement par notre équipe.
notify-says-READY = 💬 Info : Votre fichier modifié est prêt. Vous pouvez le télécharger depuis votre compte.
notify-says-file-paid = 💬 Info : Nous avons reçu votre paiement pour ce fichier. Merci !
notify-says-order-paid = 💬 Info : Nous avons reçu votre paiement pour cette commande. Merci !
notify-eta =
    { $minutes ->
        [one] ⏰ Délai estimé : { $minutes } minute
       *[other] ⏰ Délai estimé : { $minutes } minutes
    }
notify-comment = 💬 Commentaire :
notify-tracking = 🚚 Numéro de suivi : { $tracking }
notify-cod = 💵 Paiement à la livraison : { $status }
notify-updated = 🕐 Mis à jour : { $time } ({ $zone })
notify-view-files = 🔗 Voir vos fichiers
notify-view-order = 🔗 Voir votre commande
notify-test = 🧪 Message de test
notify-test-body = Les notifications de CompuCar arrivent bien ici. Rien à faire.
notify-sent = 🕐 Envoyé : { $time } ({ $zone })
notify-broadcast = 📢 Message de CompuCar
notify-open-site = 🔗 Visiter CompuCar

# The bot's profile (set at start): what a customer sees before pressing Start (at most 512 characters), and the short description of its profile page and shared links (at most 120).
bot-description =
    Le bot client de CompuCar : un message ici dès qu'un de vos fichiers ECU ou une de vos commandes change : fichier reçu, traitement commencé avec le délai estimé, fichier prêt à télécharger, commentaire de notre équipe, paiement reçu, commande confirmée ou expédiée.

    Démarrez la conversation, puis envoyez /link avec l'e-mail de votre compte compucar.pro pour le lier.
bot-short-description = CompuCar : vos fichiers ECU et vos commandes sur Telegram, dès que leur statut change.
