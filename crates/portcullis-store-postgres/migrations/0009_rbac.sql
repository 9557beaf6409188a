-- Roles and permissions (Auth0's RBAC), and the two RBAC settings of an API.
ALTER TABLE apis ADD COLUMN enforce_policies BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE apis ADD COLUMN token_dialect TEXT NOT NULL DEFAULT 'access_token';

CREATE TABLE roles (
    role_id     TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    name        TEXT   COLLATE "C" NOT NULL UNIQUE,
    description TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- A permission is one scope value of one API, held by a role.
CREATE TABLE role_permissions (
    role_id                    TEXT COLLATE "C" NOT NULL,
    resource_server_identifier TEXT COLLATE "C" NOT NULL,
    permission_name            TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (role_id, resource_server_identifier, permission_name)
);
CREATE INDEX role_permissions_api ON role_permissions (resource_server_identifier);

CREATE TABLE user_roles (
    user_id TEXT COLLATE "C" NOT NULL,
    role_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id, user_id);
