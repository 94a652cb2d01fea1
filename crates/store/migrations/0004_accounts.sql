-- People who sign in to the console and the API, their sessions and
-- tokens, and the audit log of every change made through them.

CREATE TABLE account (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'finance', 'manager', 'user')),
    -- PHC string (argon2id); never the password.
    password_hash TEXT NOT NULL,
    -- Role `user`: the directory user whose extensions' calls it sees.
    person_id INTEGER REFERENCES person(id),
    disabled INTEGER NOT NULL DEFAULT 0,
    -- Failed sign-ins in a row, and until when (unix s) the account is locked.
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    -- Client-certificate sign-in: the certificate subject CN of this account.
    cert_subject TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);

-- Role `manager`: the departments (with their subtrees) it sees.
CREATE TABLE account_department (
    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL REFERENCES department(id),
    PRIMARY KEY (account_id, department_id)
) WITHOUT ROWID;

-- Console sessions: the cookie's SHA-256, never the cookie itself.
CREATE TABLE login_session (
    token_hash BLOB PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    peer TEXT
) WITHOUT ROWID;
CREATE INDEX login_session_account ON login_session(account_id);

-- API tokens for integrations: the token's SHA-256 and its first
-- characters (to recognise it in a list), never the token.
CREATE TABLE api_token (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER
);

-- Every change made through the console or the API: who, when, what,
-- and the entity before and after (JSON).
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    before TEXT,
    after TEXT,
    peer TEXT
);
CREATE INDEX audit_at ON audit(at);
