-- One lifecycle action as the service stores it: lock the order, bump its version with a state
-- and timestamp change, append the history entry for the new version, in one transaction.
-- The state really changes each time (as in the service), so the (state, number) index is
-- rewritten and the update cannot be HOT; setting the same state again would flatter the database.
-- :max_number (from -D) is the highest order number when pgbench starts, so every pick exists;
-- two clients picking the same order queue on the row lock, as the service's actions do.
\set n random(1, :max_number)
BEGIN;
SELECT id, version, state FROM orders WHERE number = :n FOR UPDATE \gset
UPDATE orders SET version = version + 1, acknowledged_at = now(),
                  state = CASE WHEN state = 'acknowledged' THEN 'resolved' ELSE 'acknowledged' END
WHERE id = :id AND version = :version
RETURNING state AS new_state \gset
INSERT INTO order_history (order_id, version, action, from_state, to_state, actor, at, details)
VALUES (:id, :version + 1, 'acknowledge', :state, :new_state, 'bench', now(), '{"note": null}');
END;
