# mesh_time.gp: mesh size and offload over time.
# Data (datadir/mesh.dat): t_h online_peers peers_holding_content
#   open_channels offload_% (NaN where the run has no such series).
# has_0 .. has_3: which of the four series exist; title.
load adir.'/common.gp'
f = datadir.'/mesh.dat'
set title title
set xlabel 'simulated time (h)'
set ylabel 'peers / data channels (count)'
set y2label 'offload (% of bytes, per sample interval)'
set yrange [0:*]
set offsets 0, 0, graph 0.25, 0
set y2range [0:100]
set y2tics
set key inside top left horizontal maxcols 2 Left reverse nobox
cmd = ''
if (has_0) { cmd = cmd.", f using 1:2 with lines ls 1 title 'online peers'" }
if (has_1) { cmd = cmd.", f using 1:3 with lines ls 3 lw 2 dt 2 title 'peers holding content'" }
if (has_2) { cmd = cmd.", f using 1:4 with lines ls 4 title 'open data channels'" }
if (has_3) { cmd = cmd.", f using 1:5 axes x1y2 with lines ls 2 dt 3 title 'offload (right axis)'" }
eval 'plot '.cmd[3:]
