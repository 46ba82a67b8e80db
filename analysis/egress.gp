# egress.gp: origin egress over time with its p95, plus CDN egress and
# mesh throughput for scale. Data (datadir/egress.dat): t_h origin cdn mesh
# in the unit of ylab. Also: title, ylab, p95 (same unit), p95key,
# has_cdn, has_mesh.
load adir.'/common.gp'
f = datadir.'/egress.dat'
set title title
set xlabel 'simulated time (h)'
set ylabel ylab
set yrange [0:*]
set offsets 0, 0, graph 0.25, 0
set key inside top left horizontal maxcols 2 Left reverse nobox
cmd = "plot f using 1:2 with lines ls 2 title 'origin egress', p95 with lines ls 5 lc rgb '#d62728' title p95key"
if (has_cdn) { cmd = cmd.", f using 1:3 with lines ls 1 title 'CDN egress (edges to browsers)'" }
if (has_mesh) { cmd = cmd.", f using 1:4 with lines ls 3 title 'mesh (browser to browser)'" }
eval cmd
