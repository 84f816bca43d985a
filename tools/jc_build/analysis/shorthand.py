"""jetson-containers-style names on the command line: ``sglang``, ``sglang:0.4.9``, ``pytorch:2.8``."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import JcbError, UsageError
from ..labels import Label
from ..loading.packages import PackageLoader
from ..suggest import did_you_mean


@dataclass
class ShorthandIndex:
    """Every jetson-containers name of every layer and alias, mapped to labels."""

    names: dict[str, set[Label]] = field(default_factory=dict)
    broken: list[JcbError] = field(default_factory=list)  # errors of the packages passed over

    @classmethod
    def build(cls, loader: PackageLoader) -> ShorthandIndex:
        """The index of every package ``loader`` finds; a broken package is passed over (its error
        kept in ``broken``), so that a name in another package still resolves."""
        index = cls()
        for package in loader.all_packages():
            directory = package.rsplit("/", 1)[-1]
            try:
                targets = loader.load_package(package)
            except JcbError as exc:
                index.broken.append(exc)
                continue
            for name, target in targets.items():
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
        if not labels and self.broken:  # the name may be in a package that does not load
            errors = "".join(f"\n  {exc}" for exc in self.broken)
            raise UsageError(f"no package or target named '{name}' among the packages that load; "
                             f"{len(self.broken)} do not:{errors}")
        if not labels:
            raise UsageError(f"no package or target named '{name}'{did_you_mean(name, self.names)}; "
                             "use a label such as //llm/sglang:0.4.9 or a name such as sglang:0.4.9")
        if len(labels) > 1:
            listed = ", ".join(sorted(map(str, labels)))
            raise UsageError(f"'{name}' is ambiguous: it names {listed}; give the label instead")
        return next(iter(labels))
