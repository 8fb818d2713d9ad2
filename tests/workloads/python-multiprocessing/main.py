"""multiprocessing: a pool of two workers, processes, queues, locks. Its
semaphores live in /dev/shm (sem_open): under sbx run, the sandbox's own."""
import multiprocessing as mp
import os


def square(x):
    return x * x


def collatz(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def pid(_):
    return os.getpid()


def producer(q, start):
    for i in range(start, start + 5):
        q.put(i * 10)
    q.put(None)


def add(counter, lock, times):
    for _ in range(times):
        with lock:
            counter.value += 1


if __name__ == "__main__":
    print("start method:", mp.get_start_method())
    with mp.Pool(2) as pool:
        print("map:", pool.map(square, range(10)))
        print("imap_unordered, sorted:", sorted(pool.imap_unordered(collatz, range(1, 30))))
        r = pool.apply_async(sum, ([1, 2, 3],))
        print("apply_async:", r.get(timeout=30))
        print("starmap:", pool.starmap(pow, [(2, 5), (3, 3)]))
        print("workers are other processes:", os.getpid() not in set(pool.map(pid, range(4))))
    q = mp.Queue()
    procs = [mp.Process(target=producer, args=(q, s)) for s in (0, 100)]
    for p in procs:
        p.start()
    got, ended = [], 0
    while ended < 2:
        item = q.get(timeout=30)
        if item is None:
            ended += 1
        else:
            got.append(item)
    for p in procs:
        p.join()
    print("queue:", sorted(got), [p.exitcode for p in procs])
    counter, lock = mp.Value("i", 0), mp.Lock()
    workers = [mp.Process(target=add, args=(counter, lock, 500)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("shared counter:", counter.value)
    bad = mp.Process(target=os._exit, args=(7,))
    bad.start()
    bad.join()
    print("exit code of a child:", bad.exitcode)
    with open("result.txt", "w") as f:
        f.write(f"{counter.value}\n")
