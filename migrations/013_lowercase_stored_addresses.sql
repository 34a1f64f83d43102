-- 013_lowercase_stored_addresses: BetterAuth lowercases every address before it looks a user up
-- (`WHERE email = $1`), so a user stored as 'Grace@Example.com' could neither sign in nor sign
-- up again (users_email_lower_key refuses 'grace@example.com'). 001 already makes the case of an
-- address meaningless (one account per mailbox, whatever the case), so the stored spelling is
-- lowercased; the service, which looks users up by lower(email), finds them as before.
-- users_email_lower_key guarantees no two rows meet under lower(), so users_email_key cannot
-- refuse this. It scans users and locks only the rows it changes.
UPDATE users SET email = lower(email) WHERE email <> lower(email);

COMMENT ON COLUMN users.email IS
    'Stored lowercased: BetterAuth looks users up by the lowercased address. Write lower(address).';
