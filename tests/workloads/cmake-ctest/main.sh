set -euo pipefail
mkdir -p logs
# CMake's chatter names the compiler and W: only its own lines are kept.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > logs/configure.log
grep -E '^-- (The C compiler identification|Check for working C compiler|Detecting C compiler ABI info - done|Configuring done|Generating done)' logs/configure.log | sed 's/ (.*)$//'
cmake --build build -j2 > logs/build.log
grep -c 'Built target' logs/build.log
./build/wordcount text.txt
./build/longest text.txt
cd build && ctest -j2 --output-on-failure > ../logs/ctest.log; cd ..
grep -E 'tests passed|Test +#' logs/ctest.log | sed -E 's/ +[0-9.]+ sec$//; s/^[0-9]+\/[0-9]+ //; s/Test +#[0-9]+: //; s/\.+/ /' | sort
