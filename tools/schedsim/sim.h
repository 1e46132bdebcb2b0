/*
 * sim.h - run one workload under one policy on the disk model.
 */
#ifndef SCHEDSIM_SIM_H
#define SCHEDSIM_SIM_H

#include "types.h"
#include "sched/sched.h"
#include "simdisk.h"
#include "workload.h"

struct sim_config {
	enum sched_policy policy;
	bool guest_keys_only;	/* tag requests by guest alone: a VMM without Antfarm */
};

struct sim_result {
	u64 requests, bytes;
	u64 makespan_ns;	/* first arrival to last completion */
	double mbps;		/* 10^6 bytes/s */
	double mean_ms, p99_ms;	/* arrival to completion */
	double seek_gib;	/* total head travel, in GiB of sectors */
	struct sched_stats st;
};

int sim_run(const struct workload *w, const struct sim_config *c, const struct disk_params *dp,
	    struct sim_result *r);

#endif
