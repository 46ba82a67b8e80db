#!/usr/bin/env python3
"""Derive scenarios/world/countries.csv from the shared data and tzdata.

Python 3 standard library only. Its output is committed; CI never runs it.
Every rule applied here is described in scenarios/world/PROVENANCE.md.

usage: analysis/derive_world.py [SHARED_DATA_DIR] [OUT_DIR]
  defaults: ../shared/data relative to the repository, scenarios/world
"""
import csv
import math
import os
import statistics
import sys

ZONE1970 = "/usr/share/zoneinfo/zone1970.tab"
ISO3166 = "/usr/share/zoneinfo/iso3166.tab"
MONTH = "2025-10"           # latest M-Lab month
PREV_MONTH = "2024-10"      # first fallback for thin data
MIN_TESTS = 1000            # fewer download tests than this = thin data
FAR_SERVER_P10_MS = 40.0    # minRTT p10 above this = no nearby M-Lab server
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

# Multi-zone countries whose first own row in zone1970.tab is not the zone of
# their most populous city (zone1970.tab orders rows geographically first).
# Rule: the zone of the country's largest city (named in the comment).
LARGEST_CITY_ZONE = {
    "AU": "Australia/Sydney",       # Sydney
    "BR": "America/Sao_Paulo",      # Sao Paulo
    "CA": "America/Toronto",        # Toronto
    "CD": "Africa/Lagos",           # Kinshasa (West Africa Time)
    "KI": "Pacific/Tarawa",         # South Tarawa
    "MY": "Asia/Kuala_Lumpur",      # Kuala Lumpur (see below)
    "RU": "Europe/Moscow",          # Moscow
    "UA": "Europe/Kyiv",            # Kyiv
    "UZ": "Asia/Tashkent",          # Tashkent
    "PS": "Asia/Hebron",            # West Bank holds most of the population
    "FM": "Pacific/Port_Moresby",   # Chuuk and Yap (most of the population)
    "PF": "Pacific/Tahiti",         # Papeete
    "GL": "America/Nuuk",           # Nuuk
}
# Asia/Kuala_Lumpur is a backward link to Asia/Singapore since tzdata 2023;
# zone1970.tab lists MY under Asia/Singapore (+0117+10351) and Asia/Kuching.
ZONE_ALIASES = {"Asia/Kuala_Lumpur": "Asia/Singapore"}


def parse_iso6709(s):
    """'+DDMM+DDDMM' or '+DDMMSS+DDDMMSS' -> (lat, lon) in degrees."""
    i = 1
    while s[i] not in "+-":
        i += 1

    def part(x, deg_digits):
        sign = -1.0 if x[0] == "-" else 1.0
        d = x[1:]
        deg = int(d[:deg_digits])
        mins = int(d[deg_digits:deg_digits + 2])
        secs = int(d[deg_digits + 2:deg_digits + 4]) if len(d) > deg_digits + 2 else 0
        return sign * (deg + mins / 60.0 + secs / 3600.0)

    return part(s[:i], 2), part(s[i:], 3)


def great_circle_km(a, b):
    la1, lo1 = map(math.radians, a)
    la2, lo2 = map(math.radians, b)
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def read_zones():
    """Rows of zone1970.tab: (countries, (lat, lon), zone), in file order."""
    rows = []
    with open(ZONE1970, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            rows.append((fields[0].split(","), parse_iso6709(fields[1]), fields[2]))
    return rows


def read_names():
    names = {}
    with open(ISO3166, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cc, name = line.rstrip("\n").split("\t")
            names[cc] = name.replace(",", ";")   # keep the CSV unquoted
    return names


def choose_zone(cc, rows):
    """(zone, (lat, lon), spread_km, rule) for country cc, or None."""
    own = [(z, xy) for ccs, xy, z in rows if ccs[0] == cc]
    listed = [(z, xy) for ccs, xy, z in rows if cc in ccs]
    if cc in LARGEST_CITY_ZONE:
        want = ZONE_ALIASES.get(LARGEST_CITY_ZONE[cc], LARGEST_CITY_ZONE[cc])
        hit = [(z, xy) for z, xy in listed if z == want]
        assert hit, (cc, want)
        zone, xy = hit[0]
        rule = "largest-city"
    elif own:
        zone, xy = own[0]
        rule = "first-own" if len(own) == 1 else "first-own-of-%d" % len(own)
    elif listed:
        zone, xy = listed[0]
        rule = "shared"
    else:
        return None
    # spread: median distance from the chosen city to the principal cities of
    # the country's other own zones (0 when it has a single own zone).
    others = sorted(great_circle_km(xy, oxy) for z, oxy in own if z != zone)
    spread = statistics.median(others) if others else 0.0
    return zone, xy, spread, rule


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "..", "shared", "data")
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(repo, "scenarios", "world")

    with open(os.path.join(data, "countries", "internet_users_by_country.csv"),
              encoding="utf-8") as f:
        users = list(csv.DictReader(f))
    with open(os.path.join(data, "bandwidth", "mlab_ndt_country_percentiles.csv"),
              encoding="utf-8") as f:
        mlab = {}
        for r in csv.DictReader(f):
            mlab[(r["cc"], r["month"])] = r

    rows = read_zones()
    names = read_names()
    region = {u["iso2"]: u["wb_region"] for u in users if u["iso2"]}

    bw_cols = ["dl_p10", "dl_p25", "dl_p50", "dl_p75", "dl_p90",
               "ul_p10", "ul_p25", "ul_p50", "ul_p75", "ul_p90"]
    src_bw = {c: c + "_mbps" for c in bw_cols}
    rtt_cols = ["minrtt_p10_ms", "minrtt_p50_ms", "minrtt_p90_ms"]

    def n_tests(cc, month):
        r = mlab.get((cc, month))
        return int(r["n_download_tests"]) if r else 0

    # Regional medians (World Bank region), over countries with good data.
    good_bw = {cc: mlab[(cc, MONTH)] for cc in region if n_tests(cc, MONTH) >= MIN_TESTS}
    good_rtt = {cc: r for cc, r in good_bw.items()
                if float(r["minrtt_p10_ms"]) <= FAR_SERVER_P10_MS}
    reg_bw, reg_rtt = {}, {}
    for reg in sorted(set(region.values())):
        members = [r for cc, r in sorted(good_bw.items()) if region[cc] == reg]
        reg_bw[reg] = {c: statistics.median(float(r[src_bw[c]]) for r in members)
                       for c in bw_cols}
        members = [r for cc, r in sorted(good_rtt.items()) if region[cc] == reg]
        reg_rtt[reg] = {c: statistics.median(float(r[c]) for r in members)
                        for c in rtt_cols}

    out = []
    skipped = []
    for u in users:
        cc = u["iso2"]
        if not cc or cc not in names:
            skipped.append("%s (%s): no ISO 3166 alpha-2 code in iso3166.tab"
                           % (u["country"], u["iso3"]))
            continue
        z = choose_zone(cc, rows)
        if z is None:
            skipped.append("%s: no zone in zone1970.tab" % cc)
            continue
        zone, (lat, lon), spread, zrule = z
        reg = u["wb_region"]
        if n_tests(cc, MONTH) >= MIN_TESTS:
            bw = {c: float(mlab[(cc, MONTH)][src_bw[c]]) for c in bw_cols}
            bw_src = "mlab-" + MONTH
        elif n_tests(cc, PREV_MONTH) >= MIN_TESTS:
            bw = {c: float(mlab[(cc, PREV_MONTH)][src_bw[c]]) for c in bw_cols}
            bw_src = "mlab-" + PREV_MONTH
        else:
            bw = dict(reg_bw[reg])
            bw_src = "region-median"
        if cc in good_rtt:
            rtt = {c: float(good_rtt[cc][c]) for c in rtt_cols}
            rtt_src = "mlab-" + MONTH
        else:
            rtt = dict(reg_rtt[reg])
            rtt_src = ("region-median-thin" if cc not in good_bw
                       else "region-median-far-server")
        out.append({
            "iso2": cc, "name": names[cc], "region": reg.replace(",", ";"),
            "tz": zone, "lat": "%.4f" % lat, "lon": "%.4f" % lon,
            "spread_km": "%.0f" % spread, "zone_rule": zrule,
            "users": int(u["internet_users_est"]), "users_year": u["year"],
            **{c: "%.3f" % bw[c] for c in bw_cols},
            "rtt_p10": "%.3f" % rtt["minrtt_p10_ms"],
            "rtt_p50": "%.3f" % rtt["minrtt_p50_ms"],
            "rtt_p90": "%.3f" % rtt["minrtt_p90_ms"],
            "bw_source": bw_src, "rtt_source": rtt_src,
        })
    out.sort(key=lambda r: (-r["users"], r["iso2"]))

    header = (["iso2", "name", "region", "tz", "lat", "lon", "spread_km", "zone_rule",
               "users", "users_year"] + bw_cols
              + ["rtt_p10", "rtt_p50", "rtt_p90", "bw_source", "rtt_source"])
    path = os.path.join(out_dir, "countries.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("# countries.csv: generated by analysis/derive_world.py; "
                "see PROVENANCE.md for sources and rules.\n")
        f.write("# Sorted by internet users, descending. Throughput in Mbit/s, "
                "RTT (M-Lab minRTT) in ms, coordinates in degrees.\n")
        f.write(",".join(header) + "\n")
        for r in out:
            f.write(",".join(str(r[h]) for h in header) + "\n")
    print("wrote %d countries to %s" % (len(out), path))
    for s in skipped:
        print("skipped:", s)
    for reg in sorted(reg_rtt):
        print("region %-28s rtt p50 median %.1f ms, dl p50 median %.1f Mbit/s"
              % (reg, reg_rtt[reg]["minrtt_p50_ms"], reg_bw[reg]["dl_p50"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
