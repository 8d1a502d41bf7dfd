SELECT
  *
FROM (
  SELECT
    "t18"."player_id",
    "t18"."region",
    "t18"."days_since_registration",
    "t18"."first_purchase_on",
    "t18"."second_purchase_on",
    "t18"."last_purchase_on",
    "t18"."recency_days",
    "t18"."tenure_days",
    "t18"."frequency",
    "t18"."tickets",
    "t18"."monetary_kopecks",
    "t18"."average_check_kopecks",
    "t18"."interval_mean_days",
    "t18"."interval_std_days",
    "t18"."spend_30d_kopecks",
    "t18"."spend_90d_kopecks",
    "t18"."spend_trend_30d",
    "t18"."spend_trend_90d",
    "t18"."favourite_game_id",
    "t18"."favourite_game_share",
    "t18"."draw_share",
    "t18"."main_channel",
    "t18"."main_channel_share",
    "t18"."wins_count",
    "t18"."wins_kopecks",
    "t18"."last_win_on",
    "t18"."biggest_win_kopecks",
    CASE
      WHEN "t18"."frequency" = 0
      THEN 'registered_no_purchase'
      WHEN (
        "t18"."recency_days" <= 30
      ) AND (
        "t18"."tenure_days" <= 30
      )
      THEN 'new'
      WHEN (
        "t18"."recency_days" <= 30
      ) AND (
        "t18"."spend_90d_kopecks" >= 1000000
      )
      THEN 'vip'
      WHEN "t18"."recency_days" <= 30
      THEN 'active'
      WHEN "t18"."recency_days" <= 60
      THEN 'at_risk'
      WHEN "t18"."recency_days" <= 120
      THEN 'sleeping'
      WHEN "t18"."recency_days" <= 365
      THEN 'churned'
      ELSE 'deep_churn'
    END AS "segment",
    CAST(IF(
      "t18"."frequency" > 0,
      LEAST(
        CAST(CAST(FLOOR(
          IF(
            (
              COUNT(-(
                "t18"."recency_days"
              )) OVER (
                PARTITION BY "t18"."frequency" > 0
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
              ) - 1
            ) > 0,
            CAST(RANK() OVER (PARTITION BY "t18"."frequency" > 0 ORDER BY -(
              "t18"."recency_days"
            ) ASC) - 1 AS DOUBLE) / CAST(COUNT(-(
              "t18"."recency_days"
            )) OVER (
              PARTITION BY "t18"."frequency" > 0
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) - 1 AS DOUBLE),
            CAST(0.0 AS DOUBLE)
          ) * 5
        ) AS BIGINT) AS INTEGER) + 1,
        5
      ),
      CAST(NULL AS INTEGER)
    ) AS SMALLINT) AS "r_level",
    CAST(IF(
      "t18"."frequency" > 0,
      LEAST(
        CAST(CAST(FLOOR(
          IF(
            (
              COUNT("t18"."frequency") OVER (
                PARTITION BY "t18"."frequency" > 0
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
              ) - 1
            ) > 0,
            CAST(RANK() OVER (PARTITION BY "t18"."frequency" > 0 ORDER BY "t18"."frequency" ASC) - 1 AS DOUBLE) / CAST(COUNT("t18"."frequency") OVER (
              PARTITION BY "t18"."frequency" > 0
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) - 1 AS DOUBLE),
            CAST(0.0 AS DOUBLE)
          ) * 5
        ) AS BIGINT) AS INTEGER) + 1,
        5
      ),
      CAST(NULL AS INTEGER)
    ) AS SMALLINT) AS "f_level",
    CAST(IF(
      "t18"."frequency" > 0,
      LEAST(
        CAST(CAST(FLOOR(
          IF(
            (
              COUNT("t18"."monetary_kopecks") OVER (
                PARTITION BY "t18"."frequency" > 0
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
              ) - 1
            ) > 0,
            CAST(RANK() OVER (PARTITION BY "t18"."frequency" > 0 ORDER BY "t18"."monetary_kopecks" ASC) - 1 AS DOUBLE) / CAST(COUNT("t18"."monetary_kopecks") OVER (
              PARTITION BY "t18"."frequency" > 0
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) - 1 AS DOUBLE),
            CAST(0.0 AS DOUBLE)
          ) * 5
        ) AS BIGINT) AS INTEGER) + 1,
        5
      ),
      CAST(NULL AS INTEGER)
    ) AS SMALLINT) AS "m_level"
  FROM (
    SELECT
      "t17"."player_id",
      "t17"."region",
      CAST(20757 - CAST(FLOOR(CAST((
        TO_UNIXTIME("t17"."registered_at") + 10800
      ) AS DOUBLE) / (
        86400
      )) AS BIGINT) AS INTEGER) AS "days_since_registration",
      FROM_ISO8601_DATE('1970-01-01') + PARSE_DURATION(CONCAT(CAST("t17"."first_day" AS VARCHAR), 'd')) AS "first_purchase_on",
      FROM_ISO8601_DATE('1970-01-01') + PARSE_DURATION(CONCAT(CAST("t17"."second_day" AS VARCHAR), 'd')) AS "second_purchase_on",
      FROM_ISO8601_DATE('1970-01-01') + PARSE_DURATION(CONCAT(CAST("t17"."last_day" AS VARCHAR), 'd')) AS "last_purchase_on",
      CAST(20757 - "t17"."last_day" AS INTEGER) AS "recency_days",
      CAST(20757 - "t17"."first_day" AS INTEGER) AS "tenure_days",
      CAST(COALESCE("t17"."frequency", 0) AS INTEGER) AS "frequency",
      COALESCE("t17"."tickets", 0) AS "tickets",
      COALESCE("t17"."spend", 0) AS "monetary_kopecks",
      CAST(FLOOR(CAST((
        COALESCE("t17"."spend", 0)
      ) AS DOUBLE) / (
        "t17"."frequency"
      )) AS BIGINT) AS "average_check_kopecks",
      IF(
        "t17"."frequency" > 1,
        CAST("t17"."last_day" - "t17"."first_day" AS DOUBLE) / CAST("t17"."frequency" - 1 AS DOUBLE),
        CAST(NULL AS DOUBLE)
      ) AS "interval_mean_days",
      "t17"."interval_std_days",
      COALESCE("t17"."spend_30d", 0) AS "spend_30d_kopecks",
      COALESCE("t17"."spend_90d", 0) AS "spend_90d_kopecks",
      IF(
        COALESCE("t17"."spend_90d", 0) > 0,
        (
          CAST(COALESCE("t17"."spend_30d", 0) AS DOUBLE) * 3
        ) / CAST(COALESCE("t17"."spend_90d", 0) AS DOUBLE),
        CAST(NULL AS DOUBLE)
      ) AS "spend_trend_30d",
      IF(
        (
          (
            20667 - "t17"."first_day"
          ) > 0
        )
        AND (
          (
            COALESCE("t17"."spend", 0) - COALESCE("t17"."spend_90d", 0)
          ) > 0
        ),
        CAST((
          CAST(COALESCE("t17"."spend_90d", 0) AS DOUBLE) / 90
        ) AS DOUBLE) / (
          CAST(COALESCE("t17"."spend", 0) - COALESCE("t17"."spend_90d", 0) AS DOUBLE) / CAST(20667 - "t17"."first_day" AS DOUBLE)
        ),
        CAST(NULL AS DOUBLE)
      ) AS "spend_trend_90d",
      "t17"."game_id" AS "favourite_game_id",
      "t17"."favourite_game_share",
      CAST(COALESCE("t17"."draw_spend", 0) AS DOUBLE) / CAST("t17"."spend" AS DOUBLE) AS "draw_share",
      "t17"."channel" AS "main_channel",
      "t17"."main_channel_share",
      CAST(COALESCE("t17"."wins_count", 0) AS INTEGER) AS "wins_count",
      COALESCE("t17"."wins_kopecks", 0) AS "wins_kopecks",
      FROM_ISO8601_DATE('1970-01-01') + PARSE_DURATION(CONCAT(CAST("t17"."last_win_day" AS VARCHAR), 'd')) AS "last_win_on",
      "t17"."biggest_win_kopecks"
    FROM (
      SELECT
        "t16"."player_id",
        "t16"."registered_at",
        "t16"."region",
        "t16"."tickets",
        "t16"."spend",
        "t16"."draw_spend",
        "t16"."first_day",
        "t16"."second_day",
        "t16"."last_day",
        "t16"."frequency",
        "t16"."interval_std_days",
        "t16"."spend_30d",
        "t16"."spend_90d",
        "t16"."game_id",
        "t16"."favourite_game_share",
        "t16"."channel",
        "t16"."main_channel_share",
        "t16"."wins_count",
        "t16"."wins_kopecks",
        "t16"."last_win_day",
        "t16"."biggest_win_kopecks"
      FROM (
        SELECT
          "t15"."player_id",
          "t15"."registered_at",
          "t15"."region",
          "t15"."tickets",
          "t15"."spend",
          "t15"."draw_spend",
          "t15"."first_day",
          "t15"."second_day",
          "t15"."last_day",
          "t15"."frequency",
          "t15"."interval_std_days",
          "t15"."spend_30d",
          "t15"."spend_90d",
          "t15"."game_id",
          "t15"."favourite_game_share",
          "t15"."channel",
          "t15"."main_channel_share",
          "t8"."player_id" AS "player_id_right",
          "t8"."wins_count",
          "t8"."wins_kopecks",
          "t8"."last_win_day",
          "t8"."biggest_win_kopecks"
        FROM (
          SELECT
            "t13"."player_id",
            "t13"."registered_at",
            "t13"."region",
            "t13"."tickets",
            "t13"."spend",
            "t13"."draw_spend",
            "t13"."first_day",
            "t13"."second_day",
            "t13"."last_day",
            "t13"."frequency",
            "t13"."interval_std_days",
            "t13"."spend_30d",
            "t13"."spend_90d",
            "t13"."game_id",
            "t13"."favourite_game_share",
            "t13"."channel",
            "t13"."main_channel_share"
          FROM (
            SELECT
              "t5"."player_id",
              "t5"."registered_at",
              "t5"."region",
              "t12"."player_id" AS "player_id_right",
              "t12"."tickets",
              "t12"."spend",
              "t12"."draw_spend",
              "t12"."first_day",
              "t12"."second_day",
              "t12"."last_day",
              "t12"."frequency",
              "t12"."interval_std_days",
              "t12"."spend_30d",
              "t12"."spend_90d",
              "t12"."game_id",
              "t12"."favourite_game_share",
              "t12"."channel",
              "t12"."main_channel_share"
            FROM (
              SELECT
                *
              FROM "players" AS "t1"
              WHERE
                "t1"."registered_at" < CAST(FROM_ISO8601_TIMESTAMP('2026-10-30T21:00:00+00:00') AS TIMESTAMP WITH TIME ZONE)
            ) AS "t5"
            LEFT OUTER JOIN (
              SELECT
                "t10"."player_id",
                "t10"."tickets",
                "t10"."spend",
                "t10"."draw_spend",
                "t10"."first_day",
                "t10"."second_day",
                "t10"."last_day",
                "t10"."frequency",
                "t10"."interval_std_days",
                "t10"."spend_30d",
                "t10"."spend_90d",
                CASE
                  WHEN COALESCE("t10"."game_0", -1) = GREATEST(
                    COALESCE("t10"."game_0", -1),
                    COALESCE("t10"."game_1", -1),
                    COALESCE("t10"."game_2", -1)
                  )
                  THEN 1
                  WHEN COALESCE("t10"."game_1", -1) = GREATEST(
                    COALESCE("t10"."game_0", -1),
                    COALESCE("t10"."game_1", -1),
                    COALESCE("t10"."game_2", -1)
                  )
                  THEN 2
                  WHEN COALESCE("t10"."game_2", -1) = GREATEST(
                    COALESCE("t10"."game_0", -1),
                    COALESCE("t10"."game_1", -1),
                    COALESCE("t10"."game_2", -1)
                  )
                  THEN 7
                  ELSE NULL
                END AS "game_id",
                CAST(GREATEST(
                  COALESCE("t10"."game_0", -1),
                  COALESCE("t10"."game_1", -1),
                  COALESCE("t10"."game_2", -1)
                ) AS DOUBLE) / CAST("t10"."spend" AS DOUBLE) AS "favourite_game_share",
                CASE
                  WHEN COALESCE("t10"."channel_0", -1) = GREATEST(
                    COALESCE("t10"."channel_0", -1),
                    COALESCE("t10"."channel_1", -1),
                    COALESCE("t10"."channel_2", -1)
                  )
                  THEN 'app'
                  WHEN COALESCE("t10"."channel_1", -1) = GREATEST(
                    COALESCE("t10"."channel_0", -1),
                    COALESCE("t10"."channel_1", -1),
                    COALESCE("t10"."channel_2", -1)
                  )
                  THEN 'retail_kiosk'
                  WHEN COALESCE("t10"."channel_2", -1) = GREATEST(
                    COALESCE("t10"."channel_0", -1),
                    COALESCE("t10"."channel_1", -1),
                    COALESCE("t10"."channel_2", -1)
                  )
                  THEN 'website'
                  ELSE NULL
                END AS "channel",
                CAST(GREATEST(
                  COALESCE("t10"."channel_0", -1),
                  COALESCE("t10"."channel_1", -1),
                  COALESCE("t10"."channel_2", -1)
                ) AS DOUBLE) / CAST("t10"."spend" AS DOUBLE) AS "main_channel_share"
              FROM (
                SELECT
                  "t9"."player_id",
                  COUNT(*) AS "tickets",
                  SUM("t9"."price_kopecks") AS "spend",
                  SUM("t9"."price_kopecks") FILTER(WHERE
                    "t9"."drawn") AS "draw_spend",
                  MIN("t9"."day") AS "first_day",
                  MIN("t9"."day") FILTER(WHERE
                    "t9"."gap" > 0) AS "second_day",
                  MAX("t9"."day") AS "last_day",
                  COUNT(*) FILTER(WHERE
                    (
                      "t9"."gap" IS NULL
                    ) OR (
                      "t9"."gap" > 0
                    )) AS "frequency",
                  STDDEV_SAMP("t9"."gap") FILTER(WHERE
                    "t9"."gap" > 0) AS "interval_std_days",
                  SUM("t9"."price_kopecks") FILTER(WHERE
                    "t9"."day" >= 20727) AS "spend_30d",
                  SUM("t9"."price_kopecks") FILTER(WHERE
                    "t9"."day" >= 20667) AS "spend_90d",
                  SUM("t9"."price_kopecks") FILTER(WHERE
                    "t9"."game_id" = 1) AS "game_0",
                  SUM("t9"."price_kopecks") FILTER(WHERE
                    "t9"."game_id" = 2) AS "game_1",
                  SUM("t9"."price_kopecks") FILTER(WHERE
                    "t9"."game_id" = 7) AS "game_2",
                  SUM("t9"."price_kopecks") FILTER(WHERE
                    "t9"."channel_place" = 0) AS "channel_0",
                  SUM("t9"."price_kopecks") FILTER(WHERE
                    "t9"."channel_place" = 1) AS "channel_1",
                  SUM("t9"."price_kopecks") FILTER(WHERE
                    "t9"."channel_place" = 2) AS "channel_2"
                FROM (
                  SELECT
                    "t6"."player_id",
                    "t6"."game_id",
                    "t6"."price_kopecks",
                    "t6"."channel_place",
                    "t6"."drawn",
                    "t6"."day",
                    "t6"."day" - LAG("t6"."day") OVER (PARTITION BY "t6"."player_id" ORDER BY "t6"."day" ASC) AS "gap"
                  FROM (
                    SELECT
                      "t2"."player_id",
                      "t2"."game_id",
                      "t2"."price_kopecks",
                      CAST(CASE
                        WHEN "t2"."channel" = 'app'
                        THEN 0
                        WHEN "t2"."channel" = 'retail_kiosk'
                        THEN 1
                        WHEN "t2"."channel" = 'website'
                        THEN 2
                        ELSE NULL
                      END AS SMALLINT) AS "channel_place",
                      "t2"."draw_id" IS NOT NULL AS "drawn",
                      CAST(CAST(FLOOR(CAST((
                        TO_UNIXTIME("t2"."sold_at") + 10800
                      ) AS DOUBLE) / (
                        86400
                      )) AS BIGINT) AS INTEGER) AS "day"
                    FROM "tickets" AS "t2"
                    WHERE
                      "t2"."player_id" IS NOT NULL
                      AND "t2"."sold_at" < CAST(FROM_ISO8601_TIMESTAMP('2026-10-30T21:00:00+00:00') AS TIMESTAMP WITH TIME ZONE)
                  ) AS "t6"
                ) AS "t9"
                GROUP BY
                  1
              ) AS "t10"
            ) AS "t12"
              ON "t5"."player_id" = "t12"."player_id"
          ) AS "t13"
        ) AS "t15"
        LEFT OUTER JOIN (
          SELECT
            "t3"."player_id",
            COUNT(*) AS "wins_count",
            SUM("t3"."amount_kopecks") AS "wins_kopecks",
            MAX(
              CAST(FLOOR(CAST((
                TO_UNIXTIME("t3"."won_at") + 10800
              ) AS DOUBLE) / (
                86400
              )) AS BIGINT)
            ) AS "last_win_day",
            MAX("t3"."amount_kopecks") AS "biggest_win_kopecks"
          FROM (
            SELECT
              *
            FROM "wins" AS "t0"
            WHERE
              "t0"."player_id" IS NOT NULL
              AND "t0"."won_at" < CAST(FROM_ISO8601_TIMESTAMP('2026-10-30T21:00:00+00:00') AS TIMESTAMP WITH TIME ZONE)
          ) AS "t3"
          GROUP BY
            1
        ) AS "t8"
          ON "t15"."player_id" = "t8"."player_id"
      ) AS "t16"
    ) AS "t17"
  ) AS "t18"
) AS "t19"
