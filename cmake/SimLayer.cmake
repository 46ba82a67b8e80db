# sim_layer(NAME [DEPS ...]): a static library from the .c files of the
# current directory (an INTERFACE library while the layer has none yet).
# The sources are globbed with CONFIGURE_DEPENDS so that adding a cache policy
# or a selection strategy is adding one file (DESIGN.md: "adding one file and
# one line"); the line is the registry entry, not the build.
function(sim_layer name)
  file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  list(FILTER _srcs EXCLUDE REGEX ".*/main\\.c$")
  if(_srcs)
    add_library(${name} STATIC ${_srcs})
    target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/sim)
    target_link_libraries(${name} PUBLIC ${ARGN} PRIVATE sim_warnings)
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${CMAKE_SOURCE_DIR}/sim)
    target_link_libraries(${name} INTERFACE ${ARGN})
  endif()
endfunction()
