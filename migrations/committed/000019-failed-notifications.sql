--! Previous: sha1:cf85302d31b4b6d624e5788b7334fd6f3fcb4d1e
--! Hash: sha1:d421e947f0ae209ffde96886c4e55487da5cf957
--! Message: failed-notifications

-- telegram.engagement counting the chats that linked during the day (issue 18 item 7).
SET LOCAL lock_timeout = '5s';

-- telegram.engagement counted a chat as linked when it was linked BEFORE its last update
-- of the day (the bot counts an update before handling it): a chat whose last update
-- linked it (/start with a deep link, /verify) was counted as not linked, and one whose
-- last update unlinked it as linked. Now the link state at the end of the chat's day is
-- the last change of that chat in telegram.link_audit that day (linked when it is the
-- new chat, not when it is the old one), else the state at its last update. Same columns.
CREATE OR REPLACE VIEW telegram.engagement AS
WITH changes AS (
  SELECT DISTINCT ON (c.day, c.chat_fingerprint) c.day, c.chat_fingerprint, c.linked
    FROM telegram.link_audit la
   CROSS JOIN LATERAL (VALUES (la.at::date, la.old_chat_fingerprint, false, 0),
                              (la.at::date, la.new_chat_fingerprint, true, 1))
         AS c(day, chat_fingerprint, linked, side)
   WHERE c.chat_fingerprint IS NOT NULL
   ORDER BY c.day, c.chat_fingerprint, la.at DESC, la.id DESC, c.side DESC
)
SELECT a.day,
       count(*) AS active_chats,
       count(*) FILTER (WHERE coalesce(ch.linked, a.linked)) AS active_linked_chats,
       sum(a.updates) AS updates
  FROM telegram.chat_activity a
  LEFT JOIN changes ch ON ch.day = a.day AND ch.chat_fingerprint = a.chat_fingerprint
 GROUP BY a.day;
COMMENT ON VIEW telegram.engagement IS
  'Per day: chats that sent the bot anything (active_chats), those of them linked at the end of their day (active_linked_chats: their last link change that day in telegram.link_audit, else their state at their last update), and their updates. Days as the database''s time zone counts them.';
