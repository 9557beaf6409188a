-- The catalog's generation: a counter that every write to applications, APIs or client grants
-- moves on, whoever makes it (this server, another replica, the CLI). Servers keep those records
-- in memory and read this one row to know when to forget them.
CREATE TABLE catalog_generation (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);
INSERT INTO catalog_generation (id, generation) VALUES (1, 0);

CREATE FUNCTION catalog_generation_bump() RETURNS trigger AS $$
BEGIN
    UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Once per statement: a tenant apply that writes many rows moves it once per statement.
CREATE TRIGGER clients_catalog AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_generation_bump();
CREATE TRIGGER apis_catalog AFTER INSERT OR UPDATE OR DELETE ON apis
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_generation_bump();
CREATE TRIGGER client_grants_catalog AFTER INSERT OR UPDATE OR DELETE ON client_grants
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_generation_bump();
