CREATE TABLE book (id INTEGER PRIMARY KEY, title TEXT, year INTEGER, author TEXT);
INSERT INTO book (title, year, author) VALUES
  ('Structure and Interpretation of Computer Programs', 1985, 'Abelson'),
  ('The C Programming Language', 1978, 'Kernighan'),
  ('The Art of Computer Programming', 1968, 'Knuth'),
  ('Compilers: Principles, Techniques, and Tools', 1986, 'Aho');
.headers on
.mode column
SELECT author, year FROM book ORDER BY year;
.mode csv
SELECT COUNT(*) AS n, MIN(year), MAX(year) FROM book;
.mode list
BEGIN;
UPDATE book SET year = year + 1 WHERE author = 'Knuth';
ROLLBACK;
SELECT year FROM book WHERE author = 'Knuth';
.output books.csv
.mode csv
SELECT * FROM book ORDER BY id;
.output stdout
.mode list
SELECT 'rows written: ' || COUNT(*) FROM book;
.tables
PRAGMA integrity_check;
