# Generates a C file that holds the given data files as byte arrays, with a
# table for fp_embedded_find() (lib/embedded.h). Run in script mode:
#   cmake -DOUT=file.c -DROOT=dir -DFILES="a;b" -P embed.cmake
set(body "#include <stddef.h>\n#include \"embedded.h\"\n\n")
set(table "const struct fp_embedded fp_embedded_files[] = {\n")
set(i 0)
foreach(f ${FILES})
  file(READ ${ROOT}/${f} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "static const char data${i}[] = {${bytes}0x00};\n")
  string(APPEND table "\t{\"${f}\", data${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND table "\t{NULL, NULL, 0},\n};\n")
file(WRITE ${OUT}.tmp "${body}\n${table}")
file(RENAME ${OUT}.tmp ${OUT})
