# Filters the linker's output for build/probe-static: drops glibc's "Using 'F' in statically
# linked applications requires at runtime the shared libraries..." warning, and the
# "in function" line before it, for the functions in ok (an ERE alternation, -v ok=...).
# Everything else, other such warnings included, is printed.
/: in function `/ { if (held != "") print held; held = $0; next }
{
    if ($0 ~ ("warning: Using '(" ok ")' in statically linked")) { held = ""; next }
    if (held != "") print held
    held = ""
    print
}
END { if (held != "") print held }
