#!/usr/bin/env bash
# Puts the exported API of a release into baseline/repository, the Maven repository the bnd baseline plugin compares
# each build with (docs/versioning.md).
#
#   baseline/update.sh <git revision of the release> <release version> [extra Maven arguments, e.g. -o]
#
# Builds the bundles whose POM runs bnd-baseline-maven-plugin from a copy of that revision, with every POM's project
# version set to the release version, and stores each bundle jar reduced to its manifest and its exported Chronik
# packages (everything under io/chronik/ but .internal packages): the baseline compares only those. Finally sets
# <chronik.baseline.version> in the root pom.xml to the release version; commit it with baseline/repository.
# Maven caches a stored version in ~/.m2, so a version's API, once stored, is not changed.
set -euo pipefail

rev=${1:?usage: baseline/update.sh <git revision> <release version> [maven arguments]}
release=${2:?usage: baseline/update.sh <git revision> <release version> [maven arguments]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
repository="$root/baseline/repository"

# the bundles to baseline: those that run the plugin in the current tree
modules=()
for pom in "$root"/bundles/*/pom.xml; do
  if grep -q '<artifactId>bnd-baseline-maven-plugin</artifactId>' "$pom"; then
    modules+=("bundles/$(basename "$(dirname "$pom")")")
  fi
done
[ ${#modules[@]} -gt 0 ] || { echo "no bundle runs bnd-baseline-maven-plugin" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$root" archive "$rev" | tar -x -C "$work/"
snapshot=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' "$work/pom.xml" | head -n 1)
[ -n "$snapshot" ] || { echo "no project version in the root pom.xml of $rev" >&2; exit 1; }
find "$work" -name pom.xml -exec sed -i "s:<version>$snapshot</version>:<version>$release</version>:g" {} +

list=$(IFS=,; echo "${modules[*]}")
mvn -B -ntp -q -f "$work/pom.xml" "$@" package -DskipTests -Dbnd.baseline.skip=true -pl "$list" -am

for module in "${modules[@]}"; do
  artifact=$(sed -n 's:^  <artifactId>\(.*\)</artifactId>.*:\1:p' "$work/$module/pom.xml" | head -n 1)
  jar="$work/$module/target/$artifact-$release.jar"
  [ -f "$jar" ] || { echo "$module did not build $jar" >&2; exit 1; }
  target="$repository/io/chronik/$artifact/$release"
  mkdir -p "$target"
  unpacked="$work/unpacked/$artifact"
  mkdir -p "$unpacked"
  (cd "$unpacked" && jar -xf "$jar")
  (cd "$unpacked" && find io/chronik -name '*.class' -not -path '*/internal/*' | sort > "$work/classes")
  rm -f "$target/$artifact-$release.jar"
  (cd "$unpacked" && jar --create --file "$target/$artifact-$release.jar" --manifest META-INF/MANIFEST.MF \
      @"$work/classes")
  cat > "$target/$artifact-$release.pom" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- the exported API of $artifact $release (git $rev), written by baseline/update.sh -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.chronik</groupId>
  <artifactId>$artifact</artifactId>
  <version>$release</version>
</project>
EOF
  for f in "$target/$artifact-$release.jar" "$target/$artifact-$release.pom"; do
    sha1sum "$f" | cut -d ' ' -f 1 > "$f.sha1"
  done
  echo "$artifact $release: $(wc -l < "$work/classes") classes"
done

sed -i "s:<chronik.baseline.version>.*</chronik.baseline.version>:<chronik.baseline.version>$release</chronik.baseline.version>:" \
  "$root/pom.xml"
echo "pom.xml: chronik.baseline.version = $release"
