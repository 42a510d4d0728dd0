-- One filing as the service stores it: the orders row with every NOT NULL column (and the
-- location the service always has) plus its first history entry, in one transaction.
-- The service's two reference look-ups (category, grid) are left out: this is the write floor.
-- :category :grid :community :street come from -D, so the foreign keys hold.
BEGIN;
INSERT INTO orders (id, version, state, title, description, category_code, grid_code, community_code, street_code,
                    priority, filed_by, filed_at, whistle_count, return_count, reopen_count,
                    location_latitude, location_longitude, location_address)
VALUES (gen_random_uuid(), 1, 'discovered', 'Broken street lamp', 'The lamp at the corner has been dark for three nights.',
        :category, :grid, :community, :street,
        'normal', 'bench', now(), 0, 0, 0,
        40.8426, 111.7492, '12 Xinhua Street')
RETURNING id \gset
INSERT INTO order_history (order_id, version, action, from_state, to_state, actor, at, details)
VALUES (:id, 1, 'file', NULL, 'discovered', 'bench', now(),
        '{"title": "Broken street lamp", "categoryCode": "street-light", "gridCode": "g-0001", "priority": "normal"}');
END;
