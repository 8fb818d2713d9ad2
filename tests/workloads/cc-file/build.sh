set -e
cc -O2 -Wall -Werror -o primes primes.c -lm
./primes 50
cc -O0 -g -c primes.c -o primes-debug.o
echo "object: $(od -An -c -N4 primes-debug.o | tr -d ' ')"
cc -E primes.c | grep -c sqrt
echo "tmp left empty: $(ls -A tmp | wc -l)"
