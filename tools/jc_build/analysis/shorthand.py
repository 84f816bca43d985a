"""jetson-containers-style names on the command line: ``sglang``, ``sglang:0.4.9``, ``pytorch:2.8``."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UsageError
from ..labels import Label
from ..loading.packages import PackageLoader
from ..suggest import did_you_mean


@dataclass
class ShorthandIndex:
    """Every jetson-containers name of every layer and alias, mapped to labels."""

    names: dict[str, set[Label]] = field(default_factory=dict)

    @classmethod
    def build(cls, loader: PackageLoader) -> ShorthandIndex:
        """The index of every package ``loader`` finds."""
        index = cls()
        for package in loader.all_packages():
            directory = package.rsplit("/", 1)[-1]
            for name, target in loader.load_package(package).items():
                if target.kind not in ("container_layer", "alias"):
                    continue
                keys = {f"{directory}:{name}"}
                if target.kind == "alias":
                    keys.add(name)
                else:
                    keys.add(target.jc_name)
                    keys.update(target.fields.aliases)
                for key in keys:
                    index.names.setdefault(key, set()).add(target.label)
        return index

    def lookup(self, name: str) -> Label:
        """The one label a name stands for; UsageError when unknown or ambiguous."""
        labels = self.names.get(name)
        if not labels:
            raise UsageError(f"no package or target named '{name}'{did_you_mean(name, self.names)}; "
                             "use a label such as //llm/sglang:0.4.9 or a name such as sglang:0.4.9")
        if len(labels) > 1:
            listed = ", ".join(sorted(map(str, labels)))
            raise UsageError(f"'{name}' is ambiguous: it names {listed}; give the label instead")
        return next(iter(labels))
