-- SQLite workload of the real-programs benchmark (bench/programs.ts), run as
--   sqlite3 -cmd "CREATE TEMP TABLE cfg AS SELECT N AS n" :memory: < bench.sql
-- Rows come from recursive CTEs with a multiplicative hash (no random(),
-- which reads the host's entropy): the output is the same on every run.
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, region INTEGER);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount INTEGER, note TEXT);

WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000 * (SELECT n FROM cfg))
INSERT INTO customers SELECT i, 'customer-' || ((i * 2654435761) % 1000003), i % 17 FROM c;

WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000 * (SELECT n FROM cfg))
INSERT INTO orders SELECT i, 1 + (i * 40503) % (SELECT count(*) FROM customers), (i * 2654435761) % 10007,
  printf('order %08x', (i * 69069) % 4294967296) FROM c;

CREATE INDEX orders_customer ON orders(customer);
CREATE INDEX orders_amount ON orders(amount);

SELECT 'regions', region, count(*), sum(o.amount), max(o.amount)
  FROM orders o JOIN customers c ON c.id = o.customer GROUP BY region ORDER BY region;
SELECT 'top', c.name, sum(o.amount) AS total
  FROM orders o JOIN customers c ON c.id = o.customer GROUP BY c.id ORDER BY total DESC, c.id LIMIT 5;
SELECT 'notes', count(DISTINCT substr(note, 7, 3)), min(note), max(note) FROM orders WHERE note LIKE '%a%';
SELECT 'range', count(*), avg(amount) FROM orders WHERE amount BETWEEN 1000 AND 2000;
UPDATE orders SET amount = amount + 1 WHERE customer % 3 = 0;
DELETE FROM orders WHERE amount % 11 = 0;
SELECT 'after', count(*), sum(amount), total(amount * 1.5) FROM orders;
SELECT 'median', amount FROM orders ORDER BY amount, id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM orders);
