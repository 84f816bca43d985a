"""Make setup.py compile for the archs in $CUDA_ARCHITECTURES (e.g. "87" or "72;87") only.

The setup.py of causal-conv1d / mamba appends a fixed list of `-gencode` pairs to `cc_flag`;
this replaces that list, where it first appears, with one pair per wanted arch.
"""
import os
import re
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "setup.py"
archs = [a for a in os.environ["CUDA_ARCHITECTURES"].replace(",", ";").split(";") if a]
text = open(path).read()
pair = re.compile(r'\n([ \t]*)cc_flag\.append\("-gencode"\)\n[ \t]*cc_flag\.append\("arch=compute_\w+,code=\w+"\)')
first = pair.search(text)
if not first:
    sys.exit(f"{path}: no -gencode pairs found")
indent = first.group(1)
ours = "".join(f'\n{indent}cc_flag.append("-gencode")\n{indent}cc_flag.append("arch=compute_{a},code=sm_{a}")'
               for a in archs)
rest = pair.sub("", text[first.start():])
open(path, "w").write(text[:first.start()] + ours + rest)
print(f"{path}: compiling for sm_{', sm_'.join(archs)}")
