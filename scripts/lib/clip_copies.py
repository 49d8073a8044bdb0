"""Many clips with distinct content hashes from one encode, for the soak and the benchmarks."""

import os, subprocess

CLIPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clips")


def tagged_copy(data, path, tag):
    """Distinct bytes (so distinct content hashes) without another encode: a free atom at the end."""
    tag = tag.encode()
    with open(path, "wb") as out:
        out.write(data + (8 + len(tag)).to_bytes(4, "big") + b"free" + tag)


def distinct_clips(folder, count, recipe, tag_prefix):
    """Generates one clip with `scripts/clips RECIPE...` (recipe: the name and its arguments)
    and writes `count` tagged copies of it into `folder`; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    base = os.path.join(folder, "base.mp4")
    subprocess.run([CLIPS, recipe[0], base, *recipe[1:]], check=True, capture_output=True)
    with open(base, "rb") as source:
        data = source.read()
    os.remove(base)
    paths = []
    for index in range(count):
        path = os.path.join(folder, f"clip-{index:04d}.mp4")
        tagged_copy(data, path, f"{tag_prefix}-{index}")
        paths.append(path)
    return paths
