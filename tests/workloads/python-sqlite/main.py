"""sqlite3 from Python: the database and its journal files are in W."""
import sqlite3

db = sqlite3.connect("shop.db")
db.execute("PRAGMA journal_mode=DELETE")
db.executescript("""
    CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE, price REAL);
    CREATE TABLE sale (item INTEGER REFERENCES item(id), qty INTEGER);
    CREATE INDEX sale_item ON sale(item);
""")
with db:
    db.executemany("INSERT INTO item (name, price) VALUES (?, ?)",
                   [("apple", 0.5), ("bread", 2.25), ("cheese", 7.0), ("dates", 4.5)])
    db.executemany("INSERT INTO sale VALUES (?, ?)", [(1, 10), (2, 3), (1, 4), (3, 1), (4, 2), (2, 1)])
print("== totals")
for row in db.execute("""SELECT name, SUM(qty), ROUND(SUM(qty * price), 2) FROM sale JOIN item ON item.id = sale.item
                         GROUP BY name ORDER BY 3 DESC"""):
    print(row)
print("== a rolled back transaction")
try:
    with db:
        db.execute("UPDATE item SET price = price * 2")
        db.execute("INSERT INTO item (name, price) VALUES ('apple', 1)")
except sqlite3.IntegrityError as e:
    print("IntegrityError:", e)
print(db.execute("SELECT group_concat(price) FROM item").fetchone())
print("== WAL")
print(db.execute("PRAGMA journal_mode=WAL").fetchone())
with db:
    db.execute("INSERT INTO sale VALUES (3, 5)")
other = sqlite3.connect("shop.db")
print("another connection sees:", other.execute("SELECT COUNT(*), SUM(qty) FROM sale").fetchone())
other.close()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print("== backup and integrity")
backup = sqlite3.connect("backup.db")
db.backup(backup)
print(backup.execute("PRAGMA integrity_check").fetchone(), backup.execute("SELECT COUNT(*) FROM item").fetchone())
backup.close()
print(db.execute("PRAGMA journal_mode=DELETE").fetchone())
db.close()
with open("dump.sql", "w") as f:
    for line in sqlite3.connect("backup.db").iterdump():
        f.write(line + "\n")
print(open("dump.sql").read().count("INSERT INTO"), "INSERT statements dumped")
