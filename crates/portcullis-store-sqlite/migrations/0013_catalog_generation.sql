-- The catalog's generation: a counter that every write to applications, APIs or client grants
-- moves on, whoever makes it (this server, another replica, the CLI). Servers keep those records
-- in memory and read this one row to know when to forget them.
CREATE TABLE catalog_generation (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);
INSERT INTO catalog_generation (id, generation) VALUES (1, 0);

CREATE TRIGGER clients_catalog_insert AFTER INSERT ON clients
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER clients_catalog_update AFTER UPDATE ON clients
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER clients_catalog_delete AFTER DELETE ON clients
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER apis_catalog_insert AFTER INSERT ON apis
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER apis_catalog_update AFTER UPDATE ON apis
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER apis_catalog_delete AFTER DELETE ON apis
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;

CREATE TRIGGER client_grants_catalog_insert AFTER INSERT ON client_grants
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER client_grants_catalog_update AFTER UPDATE ON client_grants
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER client_grants_catalog_delete AFTER DELETE ON client_grants
BEGIN UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1; END;
