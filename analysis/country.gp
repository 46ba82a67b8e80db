# country.gp: offload by country (bars). Data (datadir/country.dat):
#   index "CC" offload_% share_of_requested_bytes_%
# Also: title, overall (mesh / requested bytes over all countries, %).
load adir.'/common.gp'
f = datadir.'/country.dat'
set title title
set xlabel 'country (ISO 3166 code), by requested bytes, largest first'
set ylabel 'offload (% of requested bytes served by the mesh)'
set yrange [0:*]
set offsets 0, 0, graph 0.2, 0
set style fill solid 0.75 border -1
set boxwidth 0.7
set xtics scale 0
set key top right
cmd = "plot f using 1:3:xticlabels(2) with boxes ls 1 title 'offload (mesh / requested bytes)'"
cmd = cmd.", '' using 1:3:(sprintf('%.0f%%', $3)) with labels offset char 0,char 0.8 font ',11' notitle"
cmd = cmd.", '' using 1:4 with points ls 4 title 'share of all requested bytes (%)'"
if (overall == overall) { cmd = cmd.", overall with lines ls 5 title sprintf('all countries: %.1f%%', overall)" }
eval cmd
