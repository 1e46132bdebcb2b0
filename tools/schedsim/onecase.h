/*
 * onecase.h - `schedsim --case`: one workload given on the command line
 * (processes, disk positions, request size, think time) under one policy,
 * for comparing a measured run with the model (tools/iosched/).
 */
#ifndef SCHEDSIM_ONECASE_H
#define SCHEDSIM_ONECASE_H

#include "sim.h"

/* argv: POLICY KEY THINK_US REQ_KIB GUEST:LBA:KIB...  Runs it: 0, or -1 for
 * arguments it does not take, -2 out of memory. */
int onecase_run(int argc, char **argv, struct sim_result *r);
/* The same, printed as one line of key=value pairs; returns the exit status. */
int onecase_main(int argc, char **argv);

#endif
