SELECT
  *
FROM (
  SELECT
    "t18"."player_id" AS "player_id",
    "t18"."region" AS "region",
    "t18"."days_since_registration" AS "days_since_registration",
    "t18"."first_purchase_on" AS "first_purchase_on",
    "t18"."second_purchase_on" AS "second_purchase_on",
    "t18"."last_purchase_on" AS "last_purchase_on",
    "t18"."recency_days" AS "recency_days",
    "t18"."tenure_days" AS "tenure_days",
    "t18"."frequency" AS "frequency",
    "t18"."tickets" AS "tickets",
    "t18"."monetary_kopecks" AS "monetary_kopecks",
    "t18"."average_check_kopecks" AS "average_check_kopecks",
    "t18"."interval_mean_days" AS "interval_mean_days",
    "t18"."interval_std_days" AS "interval_std_days",
    "t18"."spend_30d_kopecks" AS "spend_30d_kopecks",
    "t18"."spend_90d_kopecks" AS "spend_90d_kopecks",
    "t18"."spend_trend_30d" AS "spend_trend_30d",
    "t18"."spend_trend_90d" AS "spend_trend_90d",
    "t18"."favourite_game_id" AS "favourite_game_id",
    "t18"."favourite_game_share" AS "favourite_game_share",
    "t18"."draw_share" AS "draw_share",
    "t18"."main_channel" AS "main_channel",
    "t18"."main_channel_share" AS "main_channel_share",
    "t18"."wins_count" AS "wins_count",
    "t18"."wins_kopecks" AS "wins_kopecks",
    "t18"."last_win_on" AS "last_win_on",
    "t18"."biggest_win_kopecks" AS "biggest_win_kopecks",
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
    CAST(CASE
      WHEN "t18"."frequency" > 0
      THEN LEAST(
        CAST(CAST(FLOOR(
          CASE
            WHEN (
              COUNT(-(
                "t18"."recency_days"
              )) OVER (
                PARTITION BY "t18"."frequency" > 0
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
              ) - 1
            ) > 0
            THEN CAST(RANK() OVER (
              PARTITION BY "t18"."frequency" > 0
              ORDER BY -(
                "t18"."recency_days"
              ) ASC
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) - 1 AS Nullable(Float64)) / CAST(COUNT(-(
              "t18"."recency_days"
            )) OVER (
              PARTITION BY "t18"."frequency" > 0
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) - 1 AS Nullable(Float64))
            ELSE 0.0
          END * 5
        ) AS Nullable(Int64)) AS Nullable(Int32)) + 1,
        5
      )
      ELSE CAST(NULL AS Nullable(Int32))
    END AS Nullable(Int16)) AS "r_level",
    CAST(CASE
      WHEN "t18"."frequency" > 0
      THEN LEAST(
        CAST(CAST(FLOOR(
          CASE
            WHEN (
              COUNT("t18"."frequency") OVER (
                PARTITION BY "t18"."frequency" > 0
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
              ) - 1
            ) > 0
            THEN CAST(RANK() OVER (
              PARTITION BY "t18"."frequency" > 0
              ORDER BY "t18"."frequency" ASC
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) - 1 AS Nullable(Float64)) / CAST(COUNT("t18"."frequency") OVER (
              PARTITION BY "t18"."frequency" > 0
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) - 1 AS Nullable(Float64))
            ELSE 0.0
          END * 5
        ) AS Nullable(Int64)) AS Nullable(Int32)) + 1,
        5
      )
      ELSE CAST(NULL AS Nullable(Int32))
    END AS Nullable(Int16)) AS "f_level",
    CAST(CASE
      WHEN "t18"."frequency" > 0
      THEN LEAST(
        CAST(CAST(FLOOR(
          CASE
            WHEN (
              COUNT("t18"."monetary_kopecks") OVER (
                PARTITION BY "t18"."frequency" > 0
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
              ) - 1
            ) > 0
            THEN CAST(RANK() OVER (
              PARTITION BY "t18"."frequency" > 0
              ORDER BY "t18"."monetary_kopecks" ASC
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) - 1 AS Nullable(Float64)) / CAST(COUNT("t18"."monetary_kopecks") OVER (
              PARTITION BY "t18"."frequency" > 0
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) - 1 AS Nullable(Float64))
            ELSE 0.0
          END * 5
        ) AS Nullable(Int64)) AS Nullable(Int32)) + 1,
        5
      )
      ELSE CAST(NULL AS Nullable(Int32))
    END AS Nullable(Int16)) AS "m_level"
  FROM (
    SELECT
      "t17"."player_id" AS "player_id",
      "t17"."region" AS "region",
      CAST(20757 - CAST(FLOOR((
        toRelativeSecondNum("t17"."registered_at") + 10800
      ) / (
        86400
      )) AS Nullable(Int64)) AS Nullable(Int32)) AS "days_since_registration",
      toDate('1970-01-01') + INTERVAL "t17"."first_day" DAY AS "first_purchase_on",
      toDate('1970-01-01') + INTERVAL "t17"."second_day" DAY AS "second_purchase_on",
      toDate('1970-01-01') + INTERVAL "t17"."last_day" DAY AS "last_purchase_on",
      CAST(20757 - "t17"."last_day" AS Nullable(Int32)) AS "recency_days",
      CAST(20757 - "t17"."first_day" AS Nullable(Int32)) AS "tenure_days",
      CAST(COALESCE("t17"."frequency", 0) AS Nullable(Int32)) AS "frequency",
      COALESCE("t17"."tickets", 0) AS "tickets",
      COALESCE("t17"."spend", 0) AS "monetary_kopecks",
      CAST(FLOOR((
        COALESCE("t17"."spend", 0)
      ) / (
        "t17"."frequency"
      )) AS Nullable(Int64)) AS "average_check_kopecks",
      CASE
        WHEN "t17"."frequency" > 1
        THEN CAST("t17"."last_day" - "t17"."first_day" AS Nullable(Float64)) / CAST("t17"."frequency" - 1 AS Nullable(Float64))
        ELSE CAST(NULL AS Nullable(Float64))
      END AS "interval_mean_days",
      "t17"."interval_std_days" AS "interval_std_days",
      COALESCE("t17"."spend_30d", 0) AS "spend_30d_kopecks",
      COALESCE("t17"."spend_90d", 0) AS "spend_90d_kopecks",
      CASE
        WHEN COALESCE("t17"."spend_90d", 0) > 0
        THEN (
          CAST(COALESCE("t17"."spend_30d", 0) AS Nullable(Float64)) * 3
        ) / CAST(COALESCE("t17"."spend_90d", 0) AS Nullable(Float64))
        ELSE CAST(NULL AS Nullable(Float64))
      END AS "spend_trend_30d",
      CASE
        WHEN (
          (
            20667 - "t17"."first_day"
          ) > 0
        )
        AND (
          (
            COALESCE("t17"."spend", 0) - COALESCE("t17"."spend_90d", 0)
          ) > 0
        )
        THEN (
          CAST(COALESCE("t17"."spend_90d", 0) AS Nullable(Float64)) / 90
        ) / (
          CAST(COALESCE("t17"."spend", 0) - COALESCE("t17"."spend_90d", 0) AS Nullable(Float64)) / CAST(20667 - "t17"."first_day" AS Nullable(Float64))
        )
        ELSE CAST(NULL AS Nullable(Float64))
      END AS "spend_trend_90d",
      "t17"."game_id" AS "favourite_game_id",
      "t17"."favourite_game_share" AS "favourite_game_share",
      CAST(COALESCE("t17"."draw_spend", 0) AS Nullable(Float64)) / CAST("t17"."spend" AS Nullable(Float64)) AS "draw_share",
      "t17"."channel" AS "main_channel",
      "t17"."main_channel_share" AS "main_channel_share",
      CAST(COALESCE("t17"."wins_count", 0) AS Nullable(Int32)) AS "wins_count",
      COALESCE("t17"."wins_kopecks", 0) AS "wins_kopecks",
      toDate('1970-01-01') + INTERVAL "t17"."last_win_day" DAY AS "last_win_on",
      "t17"."biggest_win_kopecks" AS "biggest_win_kopecks"
    FROM (
      SELECT
        "t16".*
        EXCEPT ("player_id_right")
      FROM (
        SELECT
          "t15"."player_id" AS "player_id",
          "t15"."registered_at" AS "registered_at",
          "t15"."region" AS "region",
          "t15"."tickets" AS "tickets",
          "t15"."spend" AS "spend",
          "t15"."draw_spend" AS "draw_spend",
          "t15"."first_day" AS "first_day",
          "t15"."second_day" AS "second_day",
          "t15"."last_day" AS "last_day",
          "t15"."frequency" AS "frequency",
          "t15"."interval_std_days" AS "interval_std_days",
          "t15"."spend_30d" AS "spend_30d",
          "t15"."spend_90d" AS "spend_90d",
          "t15"."game_id" AS "game_id",
          "t15"."favourite_game_share" AS "favourite_game_share",
          "t15"."channel" AS "channel",
          "t15"."main_channel_share" AS "main_channel_share",
          "t8"."player_id" AS "player_id_right",
          "t8"."wins_count" AS "wins_count",
          "t8"."wins_kopecks" AS "wins_kopecks",
          "t8"."last_win_day" AS "last_win_day",
          "t8"."biggest_win_kopecks" AS "biggest_win_kopecks"
        FROM (
          SELECT
            "t13".*
            EXCEPT ("player_id_right")
          FROM (
            SELECT
              "t5"."player_id" AS "player_id",
              "t5"."registered_at" AS "registered_at",
              "t5"."region" AS "region",
              "t12"."player_id" AS "player_id_right",
              "t12"."tickets" AS "tickets",
              "t12"."spend" AS "spend",
              "t12"."draw_spend" AS "draw_spend",
              "t12"."first_day" AS "first_day",
              "t12"."second_day" AS "second_day",
              "t12"."last_day" AS "last_day",
              "t12"."frequency" AS "frequency",
              "t12"."interval_std_days" AS "interval_std_days",
              "t12"."spend_30d" AS "spend_30d",
              "t12"."spend_90d" AS "spend_90d",
              "t12"."game_id" AS "game_id",
              "t12"."favourite_game_share" AS "favourite_game_share",
              "t12"."channel" AS "channel",
              "t12"."main_channel_share" AS "main_channel_share"
            FROM (
              SELECT
                *
              FROM "players" AS "t1"
              WHERE
                "t1"."registered_at" < parseDateTimeBestEffort('2026-10-30T21:00:00+00:00', 'UTC')
            ) AS "t5"
            LEFT OUTER JOIN (
              SELECT
                "t10"."player_id" AS "player_id",
                "t10"."tickets" AS "tickets",
                "t10"."spend" AS "spend",
                "t10"."draw_spend" AS "draw_spend",
                "t10"."first_day" AS "first_day",
                "t10"."second_day" AS "second_day",
                "t10"."last_day" AS "last_day",
                "t10"."frequency" AS "frequency",
                "t10"."interval_std_days" AS "interval_std_days",
                "t10"."spend_30d" AS "spend_30d",
                "t10"."spend_90d" AS "spend_90d",
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
                ) AS Nullable(Float64)) / CAST("t10"."spend" AS Nullable(Float64)) AS "favourite_game_share",
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
                ) AS Nullable(Float64)) / CAST("t10"."spend" AS Nullable(Float64)) AS "main_channel_share"
              FROM (
                SELECT
                  "t9"."player_id" AS "player_id",
                  COUNT(*) AS "tickets",
                  SUM("t9"."price_kopecks") AS "spend",
                  sumIf("t9"."price_kopecks", "t9"."drawn") AS "draw_spend",
                  MIN("t9"."day") AS "first_day",
                  minIf("t9"."day", "t9"."gap" > 0) AS "second_day",
                  MAX("t9"."day") AS "last_day",
                  countIf(isNull("t9"."gap") OR (
                    "t9"."gap" > 0
                  )) AS "frequency",
                  stddevSampIf("t9"."gap", "t9"."gap" > 0) AS "interval_std_days",
                  sumIf("t9"."price_kopecks", "t9"."day" >= 20727) AS "spend_30d",
                  sumIf("t9"."price_kopecks", "t9"."day" >= 20667) AS "spend_90d",
                  sumIf("t9"."price_kopecks", "t9"."game_id" = 1) AS "game_0",
                  sumIf("t9"."price_kopecks", "t9"."game_id" = 2) AS "game_1",
                  sumIf("t9"."price_kopecks", "t9"."game_id" = 7) AS "game_2",
                  sumIf("t9"."price_kopecks", "t9"."channel_place" = 0) AS "channel_0",
                  sumIf("t9"."price_kopecks", "t9"."channel_place" = 1) AS "channel_1",
                  sumIf("t9"."price_kopecks", "t9"."channel_place" = 2) AS "channel_2"
                FROM (
                  SELECT
                    "t6"."player_id" AS "player_id",
                    "t6"."game_id" AS "game_id",
                    "t6"."price_kopecks" AS "price_kopecks",
                    "t6"."channel_place" AS "channel_place",
                    "t6"."drawn" AS "drawn",
                    "t6"."day" AS "day",
                    "t6"."day" - lagInFrame("t6"."day") OVER (
                      PARTITION BY "t6"."player_id"
                      ORDER BY "t6"."day" ASC
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                    ) AS "gap"
                  FROM (
                    SELECT
                      "t2"."player_id" AS "player_id",
                      "t2"."game_id" AS "game_id",
                      "t2"."price_kopecks" AS "price_kopecks",
                      CAST(CASE
                        WHEN "t2"."channel" = 'app'
                        THEN 0
                        WHEN "t2"."channel" = 'retail_kiosk'
                        THEN 1
                        WHEN "t2"."channel" = 'website'
                        THEN 2
                        ELSE NULL
                      END AS Nullable(Int16)) AS "channel_place",
                      isNotNull("t2"."draw_id") AS "drawn",
                      CAST(CAST(FLOOR((
                        toRelativeSecondNum("t2"."sold_at") + 10800
                      ) / (
                        86400
                      )) AS Nullable(Int64)) AS Nullable(Int32)) AS "day"
                    FROM "tickets" AS "t2"
                    WHERE
                      isNotNull("t2"."player_id")
                      AND "t2"."sold_at" < parseDateTimeBestEffort('2026-10-30T21:00:00+00:00', 'UTC')
                  ) AS "t6"
                ) AS "t9"
                GROUP BY
                  "t9"."player_id"
              ) AS "t10"
            ) AS "t12"
              ON "t5"."player_id" = "t12"."player_id"
          ) AS "t13"
        ) AS "t15"
        LEFT OUTER JOIN (
          SELECT
            "t3"."player_id" AS "player_id",
            COUNT(*) AS "wins_count",
            SUM("t3"."amount_kopecks") AS "wins_kopecks",
            MAX(
              CAST(FLOOR((
                toRelativeSecondNum("t3"."won_at") + 10800
              ) / (
                86400
              )) AS Nullable(Int64))
            ) AS "last_win_day",
            MAX("t3"."amount_kopecks") AS "biggest_win_kopecks"
          FROM (
            SELECT
              *
            FROM "wins" AS "t0"
            WHERE
              isNotNull("t0"."player_id")
              AND "t0"."won_at" < parseDateTimeBestEffort('2026-10-30T21:00:00+00:00', 'UTC')
          ) AS "t3"
          GROUP BY
            "t3"."player_id"
        ) AS "t8"
          ON "t15"."player_id" = "t8"."player_id"
      ) AS "t16"
    ) AS "t17"
  ) AS "t18"
) AS "t19"
