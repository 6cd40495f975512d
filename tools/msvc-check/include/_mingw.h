/*
 * Put before mingw-w64's headers (-imsvc) by tools/msvc-check: those headers are made for gcc and
 * clang in GNU mode, and with a compiler that is not GNU (clang in MSVC mode defines _MSC_VER, not
 * __GNUC__) they go wrong in two places that have nothing to do with the program being checked:
 *   - _mingw.h defines __attribute__(x) as nothing, which breaks clang's own intrinsic headers
 *     (mmintrin.h's vector types lose their __vector_size__, and every intrinsic is an error);
 *   - __MINGW_ATTRIB_NORETURN and __MINGW_ATTRIB_DEPRECATED become __declspec(...), which mingw's
 *     headers put after the declarator, where no compiler accepts a __declspec.
 * So: mingw's _mingw.h, then those three undone. Only the headers see this; a GNU attribute in a
 * lesson's own code is caught by tools/msvc-check's scan of the preprocessed source.
 */
#include_next <_mingw.h>
#undef __attribute__
#undef __MINGW_ATTRIB_NORETURN
#define __MINGW_ATTRIB_NORETURN
#undef __MINGW_ATTRIB_DEPRECATED
#define __MINGW_ATTRIB_DEPRECATED
