#!/usr/bin/env bash
# Page quality checks. Starts Corkboard on a loopback port with sample posts
# and one published post with a photo, then checks its pages with:
#   - the Nu HTML Checker (vnu): any HTML error fails;
#   - axe-core in headless Chromium, at phone and desktop widths: any
#     violation, and any error in the browser console, fails;
#   - Lighthouse with its default mobile emulation and throttling: fails
#     when Accessibility or Performance is below the thresholds below.
#     Best Practices and SEO are reported but not enforced, because /new
#     carries a noindex robots tag that costs SEO points on purpose.
# Usage, from the repository root: bash .ci/pages.sh
# Set CORKBOARD_CHROMIUM to use another Chromium binary, and
# CORKBOARD_SCREENSHOTS to a folder to get a phone-size screenshot of each
# page there.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

# Every checked page scores 1.00 for accessibility, and its audits are
# deterministic, so any failed audit fails the check.
min_accessibility=1.00
min_performance=0.90

chromium=${CORKBOARD_CHROMIUM:-/usr/bin/chromium}
# Every Chromium that this script starts gets these flags. They keep it
# headless and stop it from calling home, so it sends traffic only to the
# server below. Each start also gets a new, empty profile folder.
chrome_flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync)

# --- Tools ---------------------------------------------------------------

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x "$chromium" ]; then
  if [ -n "${CORKBOARD_CHROMIUM:-}" ]; then
    echo "CORKBOARD_CHROMIUM=$chromium is not an executable file" >&2
    exit 1
  fi
  apt_install chromium
fi
command -v java >/dev/null || apt_install default-jre-headless
command -v npm >/dev/null || apt_install npm
command -v curl >/dev/null || apt_install curl
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi

# npm records what it installed in node_modules/.package-lock.json, so a
# lock file newer than that record means the packages are out of date.
# --ignore-scripts skips the postinstall step of vnu-jar, which would
# download a Java runtime. Debian's Java runs vnu instead.
if [ ! -f .ci/node_modules/.package-lock.json ] || [ .ci/package-lock.json -nt .ci/node_modules/.package-lock.json ]; then
  echo "== npm ci in .ci"
  (cd .ci && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
node_modules=$PWD/.ci/node_modules

# --- Server --------------------------------------------------------------

work=$(mktemp -d)
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop_server EXIT

# new_profile prints the path of a new, empty Chromium profile folder.
new_profile() { mktemp -d "$work/chromium-profile.XXXXXX"; }

echo "== build and start Corkboard"
go build -o "$work/corkboard" ./cmd/corkboard
data=$work/data
# A fixed random seed keeps the sample posts, and so the checked pages, the
# same from run to run.
"$work/corkboard" seed --posts 100 --seed 1 --data "$data" >/dev/null
"$work/corkboard" serve --addr 127.0.0.1:0 --data "$data" 2>"$work/server.log" &
server_pid=$!

base=
for _ in $(seq 100); do
  base=$(sed -n 's/.*msg="Corkboard started".* base_url=\([^ ]*\).*/\1/p' "$work/server.log")
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$base" ]; then
  echo "Corkboard did not start within 10 s. Its log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
case $base in
  http://127.0.0.1:*) ;;
  *)
    echo "Corkboard's base URL is $base, expected http://127.0.0.1:PORT. Unset CORKBOARD_BASE_URL and run again." >&2
    exit 1
    ;;
esac
echo "Corkboard runs at $base"

# One post with a photo, published through the API, so that a post page
# shows a gallery and the manage page shows thumbnails. Without the shared
# photos next to the repository, the post gets a screenshot of a plain page.
photo=../shared/data/images/orientation/landscape_1.jpg
if [ ! -f "$photo" ]; then
  photo=$work/photo.png
  "$chromium" "${chrome_flags[@]}" --user-data-dir="$(new_profile)" --window-size=800,600 \
    --screenshot="$photo" 'data:text/html,<body bgcolor="%233a6b35">' 2>/dev/null
fi
# --form-string sends text as it is: curl's -F would read a value that
# starts with @, < or ( as a file or a nested part.
curl -sS --fail-with-body -o /dev/null "$base/api/v1/posts" \
  --form-string title='Trek FX 3 hybrid bike, 56 cm' --form-string category=bikes \
  --form-string zip=02134 --form-string price=450 --form-string email=pages@example.com \
  --form-string body=$'Carbon fork, hydraulic disc brakes, new chain.\n\nPick up in Allston.' \
  -F images=@"$photo"

token=
for _ in $(seq 100); do
  token=$(cat "$data"/outbox/*.eml 2>/dev/null | grep -oE '/manage/[A-Za-z0-9_-]{43}' | head -n 1 | cut -d/ -f3 || true)
  [ -n "$token" ] && break
  sleep 0.1
done
if [ -z "$token" ]; then
  echo "no confirmation mail with a manage link in $data/outbox after 10 s" >&2
  exit 1
fi
post_url=$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $token" "$base/api/v1/manage/publish" |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).url))')

# --- Pages ---------------------------------------------------------------

page_names=(home region category post new posted lost about manage not-found)
declare -A page_paths=(
  [home]=/ [region]=/boston/ [category]=/boston/bikes/ [post]=${post_url#"$base"}
  [new]=/new [posted]=/posted [lost]=/lost [about]=/about [manage]=/manage/$token
  [not-found]=/nowhere/
)
lighthouse_pages=(home category post new)

mkdir "$work/html"
for name in "${page_names[@]}"; do
  want=200
  [ "$name" = not-found ] && want=404
  status=$(curl -sS -o "$work/html/$name.html" -w '%{http_code}' "$base${page_paths[$name]}")
  if [ "$status" != "$want" ]; then
    echo "GET ${page_paths[$name]}: got status $status, want $want" >&2
    exit 1
  fi
done

if [ -n "${CORKBOARD_SCREENSHOTS:-}" ]; then
  mkdir -p "$CORKBOARD_SCREENSHOTS"
  for name in "${page_names[@]}"; do
    "$chromium" "${chrome_flags[@]}" --user-data-dir="$(new_profile)" --window-size=412,915 \
      --hide-scrollbars --screenshot="$CORKBOARD_SCREENSHOTS/$name.png" "$base${page_paths[$name]}" 2>/dev/null
  done
  echo "Screenshots are in $CORKBOARD_SCREENSHOTS"
fi

summary=()
failed=0

# --- Nu HTML Checker -----------------------------------------------------

echo "== Nu HTML Checker (vnu)"
if java -jar "$node_modules/vnu-jar/build/dist/vnu.jar" --errors-only "$work"/html/*.html 2>"$work/vnu.txt"; then
  summary+=("vnu: no errors in ${#page_names[@]} pages")
else
  sed "s|file:$work/html/||" "$work/vnu.txt"
  summary+=("vnu: FAILED, $(grep -c 'error:' "$work/vnu.txt" || true) errors")
  failed=1
fi
echo "${summary[-1]}"

# --- axe-core ------------------------------------------------------------

echo "== axe-core $(node -p 'require(process.argv[1]).version' "$node_modules/axe-core/package.json")"
axe_pages=()
for name in "${page_names[@]}"; do
  axe_pages+=("$name=$base${page_paths[$name]}")
done
# The script comes from standard input, so Node resolves its require()
# calls from the working folder: .ci, where node_modules is.
axe_status=0
(cd .ci && node - "$chromium" "$(new_profile)" "${chrome_flags[*]}" "${axe_pages[@]}") <<'EOF' | tee "$work/axe.txt" || axe_status=$?
const puppeteer = require("puppeteer-core");
const axe = require("axe-core");

const [executablePath, userDataDir, flags, ...pages] = process.argv.slice(2);
const viewports = [
  { label: "phone", width: 412, height: 915, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  { label: "desktop", width: 1280, height: 800 },
];

async function main() {
  // The flags include --headless, so Puppeteer must not add its own.
  const browser = await puppeteer.launch({ executablePath, userDataDir, headless: false, args: flags.split(" ") });
  let problems = 0;
  try {
    for (const viewport of viewports) {
      for (const entry of pages) {
        const [name, url] = entry.split(/=(.*)/s);
        problems += await check(browser, viewport, name, url);
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`${problems} violations and console errors in ${pages.length} pages at ${viewports.length} widths`);
  process.exitCode = problems === 0 ? 0 : 1;
}

// check runs axe on one page and returns the number of violations plus
// console errors, such as a resource that the Content-Security-Policy blocked.
async function check(browser, viewport, name, url) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const consoleErrors = [];
  page.on("console", (message) => {
    // The not-found page reports its own 404 status in the console.
    if (message.type() === "error" && !(name === "not-found" && /status of 404/.test(message.text()))) {
      consoleErrors.push(`${message.text()} ${message.location()?.url ?? ""}`.trim());
    }
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  await page.goto(url, { waitUntil: "load" });
  // Evaluated through the DevTools protocol, axe runs although the page's
  // Content-Security-Policy forbids inline scripts.
  await page.evaluate(axe.source);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  await page.close();

  const where = `${name} (${viewport.label})`;
  for (const violation of result.violations) {
    console.log(`${where}: ${violation.id} [${violation.impact}] ${violation.help}`);
    for (const node of violation.nodes) {
      // Drop axe's "Fix any of the following:" lines and keep the reasons.
      const reasons = node.failureSummary.split("\n").filter((line) => line.startsWith("  ")).map((line) => line.trim());
      console.log(`    ${node.target.join(" ")}: ${reasons.join("; ")}`);
    }
  }
  for (const text of consoleErrors) {
    console.log(`${where}: console error: ${text}`);
  }
  return result.violations.length + consoleErrors.length;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
EOF
if [ "$axe_status" = 0 ]; then
  summary+=("axe-core: $(tail -n 1 "$work/axe.txt")")
else
  summary+=("axe-core: FAILED, $(tail -n 1 "$work/axe.txt")")
  failed=1
fi

# --- Lighthouse ----------------------------------------------------------

echo "== Lighthouse $(node -p 'require(process.argv[1]).version' "$node_modules/lighthouse/package.json")"
for name in "${lighthouse_pages[@]}"; do
  # Lighthouse starts its own Chromium with a new profile folder. Its
  # defaults are mobile emulation and simulated slow 4G throttling.
  CHROME_PATH=$chromium "$node_modules/.bin/lighthouse" "$base${page_paths[$name]}" --quiet \
    --no-enable-error-reporting --chrome-flags="${chrome_flags[*]}" \
    --only-categories=performance,accessibility,best-practices,seo \
    --output=json --output-path="$work/lighthouse-$name.json" ||
    echo "Lighthouse exited with status $? on $name" >&2
done

lighthouse_status=0
node - "$min_accessibility" "$min_performance" "$work" "${lighthouse_pages[@]}" <<'EOF' | tee "$work/lighthouse.txt" || lighthouse_status=$?
const fs = require("fs");
const [minAccessibility, minPerformance, work, ...names] = process.argv.slice(2);
const categories = ["performance", "accessibility", "best-practices", "seo"];
const format = (score) => (typeof score === "number" ? score.toFixed(2).padStart(4) : " n/a");

let failures = 0;
const lowest = { performance: 1, accessibility: 1 };
console.log(["page".padEnd(10), "Perf", "A11y", "Best", " SEO"].join("  "));
for (const name of names) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(`${work}/lighthouse-${name}.json`, "utf8"));
  } catch (error) {
    console.log(`${name.padEnd(10)}  no report: ${error.message}`);
    failures++;
    continue;
  }
  const scores = categories.map((c) => report.categories[c]?.score);
  console.log([name.padEnd(10), ...scores.map(format)].join("  "));
  if (report.runtimeError) {
    console.log(`    runtime error: ${report.runtimeError.code} ${report.runtimeError.message}`);
    failures++;
  }
  const [performance, accessibility] = scores;
  lowest.performance = Math.min(lowest.performance, performance ?? 0);
  lowest.accessibility = Math.min(lowest.accessibility, accessibility ?? 0);
  if (!(accessibility >= Number(minAccessibility))) {
    console.log(`    Accessibility ${format(accessibility)} is below ${minAccessibility}`);
    failures++;
  }
  if (!(performance >= Number(minPerformance))) {
    console.log(`    Performance ${format(performance)} is below ${minPerformance}`);
    failures++;
  }
  // Name each weighted audit that scored below 0.9, so a low score needs no
  // HTML report to explain it. Audits with no weight are only hints.
  for (const c of categories) {
    for (const ref of report.categories[c]?.auditRefs ?? []) {
      const audit = report.audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 0.9) {
        const value = audit.displayValue ? ` (${audit.displayValue})` : "";
        console.log(`    ${c}: ${audit.id} ${format(audit.score)}${value}: ${audit.title}`);
        // The first few elements the audit names, by selector and markup.
        for (const item of (audit.details?.items ?? []).slice(0, 3)) {
          const node = item.node ?? item.source ?? {};
          if (node.selector || node.snippet) {
            console.log(`      ${node.selector ?? ""} ${node.snippet ?? ""}`.trimEnd());
          }
        }
      }
    }
  }
}
console.log(`lowest Performance ${format(lowest.performance)} (minimum ${minPerformance}), ` +
  `lowest Accessibility ${format(lowest.accessibility)} (minimum ${minAccessibility}) in ${names.length} pages`);
process.exitCode = failures === 0 ? 0 : 1;
EOF
if [ "$lighthouse_status" = 0 ]; then
  summary+=("Lighthouse: $(tail -n 1 "$work/lighthouse.txt")")
else
  summary+=("Lighthouse: FAILED, $(tail -n 1 "$work/lighthouse.txt")")
  failed=1
fi

# --- Summary -------------------------------------------------------------

echo "== summary, after $((SECONDS - started)) s"
printf '%s\n' "${summary[@]}"
if [ "$failed" != 0 ]; then
  echo "Page checks failed."
  exit 1
fi
echo "Page checks passed."
