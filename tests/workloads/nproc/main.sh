echo "nproc: $(nproc)"
echo "nproc --all: $(nproc --all)"
echo "nproc --ignore=1: $(nproc --ignore=1)"
echo "getconf _NPROCESSORS_ONLN: $(getconf _NPROCESSORS_ONLN)"
echo "getconf _NPROCESSORS_CONF: $(getconf _NPROCESSORS_CONF)"
python3 -c 'import os; print("os.cpu_count:", os.cpu_count(), "affinity:", len(os.sched_getaffinity(0)))'
OMP_NUM_THREADS=1 nproc | sed 's/^/with OMP_NUM_THREADS=1: /'
echo "jobs: $(( $(nproc) * 2 ))" > jobs.txt
cat jobs.txt
